"""The Discord surface: buttons, forms and views, the one error path of commands, and option helpers."""
