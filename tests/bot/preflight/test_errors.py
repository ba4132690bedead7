"""The checks' error: its problems, one a line, in the order they were found."""

from bot.preflight.errors import PreflightError


def test_a_preflight_error_is_its_problems_one_a_line():
    error = PreflightError("database.url: one", "images.model: two")
    assert error.problems == ["database.url: one", "images.model: two"]
    assert str(error) == "database.url: one\nimages.model: two"
    assert PreflightError().problems == []
