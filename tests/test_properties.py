"""Property tests (Hypothesis) for what members and operators type: prompts, option values,
button custom ids and config files. Whatever comes in, the answer is a value or our own typed
refusal, never a crash, and what is echoed back fits Discord and pings nobody."""

import re
import tomllib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import ConfigError, load_config, parse_config
from bot.flow.result_message import MESSAGE_LIMIT, quote, render_result
from bot.i18n import Text
from bot.images import GeneratedImage, ImagesResult, ModelRegistry
from bot.surface.result_actions import CUSTOM_ID_TEMPLATES

MODELS = ModelRegistry()
SPECS = [MODELS.get(name) for name in ("gpt-image-2", "gpt-image-1-mini", "dall-e-3", "dall-e-2", "acme-unknown")]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text as members type it, and as they paste it: any Unicode, with the tricky parts made likely.
TRICKY = st.sampled_from(
    ["@everyone", "@here", "<@123456789012345678>", "<@&1>", "<#2>", "**", "__", "`", "```", "||", "> ", "\n",
     "\u200b", "\u200d", "\u202e", "\ufeff", "\x00", "🦊", "ﷺ", "𒐫", "\\", "# ", "-# ", "[a](https://x)"]
)  # fmt: skip
SHORT_PROMPTS = st.lists(st.one_of(st.text(max_size=200), TRICKY), max_size=60).map("".join)
LONG_PROMPTS = st.tuples(SHORT_PROMPTS.filter(bool), st.integers(30_000, 32_001)).map(
    lambda drawn: (drawn[0] * (drawn[1] // len(drawn[0]) + 1))[: drawn[1]]
)
PROMPTS = SHORT_PROMPTS | LONG_PROMPTS


@FAST
@given(prompt=PROMPTS, revised=st.none() | PROMPTS, spec=st.sampled_from(SPECS))
def test_any_prompt_is_checked_and_echoed_within_discords_limit(prompt, revised, spec):
    problem = spec.prompt_problem(prompt)
    assert problem is None or isinstance(problem, Text)
    if problem is not None:
        assert len(problem.render("en-US")) < 300
    result = ImagesResult(images=[GeneratedImage(b"1", revised_prompt=revised)])
    for locale in ("en-US", "zh-CN"):
        text = render_result(result, prompt=prompt, model=spec, dimensions="1024x1024", requested=1, locale=locale)
        assert len(text) <= MESSAGE_LIMIT
    shown = quote(prompt, 300)
    assert "\n" not in shown and len(shown) <= 600


@FAST
@given(size=st.text(max_size=40) | st.from_regex(r"[0-9]{1,7}x[0-9]{1,7}", fullmatch=True), spec=st.sampled_from(SPECS))
def test_any_size_or_quality_is_accepted_or_refused_with_a_message(size, spec):
    for problem in (spec.size_problem(size), spec.quality_problem(size)):
        assert problem is None or len(problem.render("en-US")) < 1000


FORGED_ID = r"ib:[a-z]{1,8}:[0-9\u0660-\u0669]{1,40}(:[0-9]{1,30})?"  # ASCII and Arabic-Indic digits


@FAST
@given(custom_id=st.text(max_size=100) | st.from_regex(FORGED_ID, fullmatch=True))
def test_a_forged_custom_id_either_names_ids_the_database_can_hold_or_matches_nothing(custom_id):
    for template in CUSTOM_ID_TEMPLATES:
        match = re.fullmatch(template, custom_id)
        if match:
            for value in match.groupdict().values():
                if value is not None and value.isdigit():
                    assert value.isascii() and int(value) < 2**63


SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
SECTIONS = st.sampled_from(["discord", "images", "database", "jobs", "imaging", "results", "prices", "logging", "x"])
KEYS = st.sampled_from(
    ["token", "api_key", "base_url", "url", "max_running", "timeout_seconds", "stall_seconds", "level",
     "keep_hours", "models", "offered_models", "status_every_seconds", "busy_timeout_seconds", "worker_threads",
     "gateway_url", "nope"]
)  # fmt: skip
CONFIGS = st.dictionaries(
    SECTIONS,
    st.dictionaries(KEYS, SCALARS | st.lists(SCALARS, max_size=3) | st.dictionaries(st.text(max_size=5), SCALARS)),
    max_size=5,
)


@FAST
@given(data=CONFIGS)
def test_any_config_is_accepted_or_refused_in_one_line(data):
    data.setdefault("discord", {}).setdefault("token", "t")
    data.setdefault("images", {}).setdefault("api_key", "k")
    try:
        parse_config(data, environ={})
    except ConfigError as exc:
        assert exc.problems and all("\n" not in problem and len(problem) < 400 for problem in exc.problems)


@FAST
@given(text=st.text(max_size=300))
def test_any_config_file_text_is_valid_toml_or_refused_in_one_line(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("config") / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path, environ={})
    except ConfigError as exc:
        assert exc.problems and all(len(problem.splitlines()) == 1 for problem in exc.problems)
    else:
        tomllib.loads(text)
