"""The chat client's reading of an answer's token usage: what billing is charged from."""

from bot.images.chat import chat_usage


def test_token_counts_are_read_and_never_below_zero():
    usage = chat_usage(
        {
            "prompt_tokens": 900,
            "completion_tokens": 120,
            "total_tokens": 1020,
            "prompt_tokens_details": {"image_tokens": 765},
        }
    )
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens, usage.input_image_tokens) == (
        900,
        120,
        1020,
        765,
    )
    lowered = chat_usage({"prompt_tokens": -5000, "completion_tokens": -1, "total_tokens": -5001})
    assert lowered is not None and (lowered.input_tokens, lowered.output_tokens, lowered.total_tokens) == (0, 0, 0)
