import pytest

from bot.images.models import ModelOverride, ModelRegistry


def test_builtin_table_covers_the_documented_models():
    registry = ModelRegistry()
    assert registry.get("gpt-image-2").size_problem("1536x864") is None
    assert "multiples of 16" in str(registry.get("gpt-image-2").size_problem("1000x1000"))
    assert "1:3 and 3:1" in str(registry.get("gpt-image-2").size_problem("2048x512"))
    assert "3840x2160" in str(registry.get("gpt-image-2").size_problem("3840x3840"))
    assert "makes these sizes" in str(registry.get("gpt-image-1.5").size_problem("1536x864"))
    assert registry.get("dall-e-3").max_n == 1 and registry.get("dall-e-3").response_format
    assert registry.get("dall-e-2").variations and not registry.get("gpt-image-2").variations
    assert not registry.get("gpt-image-1-mini").input_fidelity
    assert registry.get("gpt-image-2").max_edit_images == 16


def test_unknown_models_get_conservative_defaults():
    spec = ModelRegistry().get("someone-elses-model")
    assert not spec.known
    assert (spec.sizes, spec.max_n, spec.qualities, spec.output_formats) == (("1024x1024",), 1, (), ())
    assert not (spec.response_format or spec.edits or spec.variations or spec.streaming)


def test_config_extends_and_overrides_the_table():
    registry = ModelRegistry(
        {
            "gpt-image-3": ModelOverride(like="gpt-image-2", max_n=4),
            "local-sd": ModelOverride(sizes=["512x512"], max_n=2, variations=True),
            "dall-e-2": ModelOverride(max_n=2),
        }
    )
    assert registry.get("gpt-image-3").custom_sizes is not None and registry.get("gpt-image-3").max_n == 4
    assert registry.get("local-sd").sizes == ("512x512",) and registry.get("local-sd").variations
    assert registry.get("local-sd").known
    assert registry.get("dall-e-2").max_n == 2 and registry.get("dall-e-2").variations


@pytest.mark.parametrize(
    ("model", "prompt", "problem"),
    [("dall-e-2", "x" * 1001, "up to 1000 characters"), ("gpt-image-2", "   ", "The prompt is empty")],
)
def test_prompt_rules(model, prompt, problem):
    assert problem in str(ModelRegistry().get(model).prompt_problem(prompt))


def test_every_c0_control_character_but_tab_newline_and_return_and_del_are_refused():
    spec = ModelRegistry().get("gpt-image-2")
    controls = [chr(code) for code in [*range(0x20), 0x7F]]
    refused = [char for char in controls if spec.prompt_problem(f"a fox{char}in snow") is not None]
    assert refused == [char for char in controls if char not in "\t\n\r"]
    assert "(U+001B)" in str(spec.prompt_problem("a \x1b[31mred fox"))
    assert spec.prompt_problem("a fox\u200bin snow \u00e9\u0085") is None  # not C0: the word filter's business


def test_quality_rules():
    registry = ModelRegistry()
    assert registry.get("gpt-image-2").quality_problem("high") is None
    assert "no quality setting" in str(registry.get("dall-e-2").quality_problem("hd"))
    assert "standard, hd" in str(registry.get("dall-e-3").quality_problem("high"))


def test_markup_rules():
    """Markup (notes on a transparent overlay) on 2.6 only, and never with a mask or an area."""
    registry = ModelRegistry()
    for name in ("gpt-image-2.6-flare", "gpt-image-2.6-sunburst"):
        assert registry.get(name).markup_problem() is None
        assert "not both" in str(registry.get(name).markup_problem(with_mask=True))
    for name in ("gpt-image-2.5-flare", "gpt-image-2", "dall-e-2", "someone-elses-model"):
        assert f"`{name}` doesn't take markup" in str(registry.get(name).markup_problem())


@pytest.mark.parametrize(
    ("model", "image", "upscaled"),
    [
        ("gpt-image-2", (1024, 1024), "2048x2048"),
        ("gpt-image-2", (1536, 1024), "3072x2048"),
        ("gpt-image-2.6-flare", (1024, 1536), "2048x3072"),
        ("gpt-image-2", (2048, 2048), "2160x2160"),  # the largest square within 3840x2160
        ("gpt-image-2", (2048, 1152), "3840x2160"),  # 16:9 fills the largest size
        ("gpt-image-2", (1000, 1000), "2000x2000"),
        ("gpt-image-2", (2160, 2160), None),  # already the largest of its shape
        ("gpt-image-2", (3840, 2160), None),
        ("gpt-image-1.5", (1024, 1024), None),  # listed sizes only
        ("dall-e-2", (512, 512), None),
    ],
)
def test_upscale_doubles_the_size_up_to_the_models_largest_keeping_the_shape(model, image, upscaled):
    assert ModelRegistry().get(model).upscale_size(*image) == upscaled


def test_edit_rules_each_refusal_once():
    """Whether a model edits, takes masks, markup and how many inputs; each refusal says which."""
    registry = ModelRegistry()
    assert registry.get("gpt-image-2").edit_problem(16, masked=True) is None
    assert registry.get("gpt-image-2.6-flare").edit_problem(markup=True) is None
    assert str(registry.get("dall-e-3").edit_problem()) == "`dall-e-3` can't edit images. Pick a GPT image model."
    assert "`someone-elses-model` can't edit images" in str(registry.get("someone-elses-model").edit_problem())
    assert (
        str(registry.get("gpt-image-2").edit_problem(17))
        == "`gpt-image-2` takes at most 16 images in all; you gave 17."
    )
    assert registry.get("dall-e-2").edit_problem(masked=True) is None
    assert "takes at most 1 images" in str(registry.get("dall-e-2").edit_problem(2))
    assert "`gpt-image-2` doesn't take markup" in str(registry.get("gpt-image-2").edit_problem(markup=True))
    assert "not both" in str(registry.get("gpt-image-2.6-flare").edit_problem(masked=True, markup=True))
    unmasked = ModelRegistry({"local-sd": ModelOverride(edits=True)}).get("local-sd")
    assert "`local-sd` doesn't take masks" in str(unmasked.edit_problem(masked=True))
    assert unmasked.edit_problem() is None  # a model that edits takes one image, as the client sends it
    assert "at most 1 images" in str(unmasked.edit_problem(2))


def test_variation_reframe_and_upscale_rules():
    registry = ModelRegistry()
    assert registry.get("dall-e-2").variation_problem() is None  # its own endpoint
    assert registry.get("gpt-image-2").variation_problem() is None  # as an edit
    assert "`dall-e-3` can't make variations" in str(registry.get("dall-e-3").variation_problem())
    assert registry.get("gpt-image-1.5").reframe_problem() is None
    assert "`dall-e-3` can't extend images" in str(registry.get("dall-e-3").reframe_problem())
    unmasked = ModelRegistry({"local-sd": ModelOverride(edits=True)}).get("local-sd")
    assert "can't extend images" in str(unmasked.reframe_problem())
    assert registry.get("gpt-image-2").upscale_problem() is None
    assert "`gpt-image-1.5` can't upscale images" in str(registry.get("gpt-image-1.5").upscale_problem())
    assert "can't upscale images" in str(registry.get("dall-e-2").upscale_problem())


def test_the_refusals_are_translated():
    refusal = ModelRegistry().get("dall-e-3").edit_problem()
    assert refusal is not None and refusal.render("zh-CN") == "`dall-e-3` 无法编辑图片。请选择 GPT 图片模型。"
