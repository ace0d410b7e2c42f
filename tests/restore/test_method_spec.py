"""Method specs (``name:key=value``): parsing, typing, one-line errors, and the network-free
hybrid, which must never fit a model."""

from __future__ import annotations

import pytest
import torch

from restore.api import restore
from restore.errors import InputError
from restore.methods import get_method, method_config, parse_method, split_specs
from restore.methods.spec import MethodSpec
from restore.metrics import psnr_in_holes
from tests.restore.test_hybrid import panned_clip


def test_specs_parse_and_type_their_options() -> None:
    spec = parse_method("hybrid:network=none,temporal_passes=0,seam=false,pseudo_weight=0.5")
    assert spec.name == "hybrid"
    assert spec.options == {
        "network": "none",
        "temporal_passes": 0,
        "seam": False,
        "pseudo_weight": 0.5,
    }
    assert parse_method("telea:radius=5").options == {"radius": 5}
    assert parse_method("flow-guided:max_distance=none").options == {"max_distance": None}
    assert parse_method("flow-guided:max_distance=7").options == {"max_distance": 7}
    assert parse_method("telea") == MethodSpec("telea", {})
    # Written back the way it reads, so records and tables name the same variant.
    assert str(spec) == "hybrid:network=none,temporal_passes=0,seam=false,pseudo_weight=0.5"


def test_a_list_of_specs_keeps_each_spec_whole() -> None:
    assert split_specs(
        "hybrid,hybrid:network=none,temporal_passes=0, telea:radius=5,flow-guided"
    ) == [
        "hybrid",
        "hybrid:network=none,temporal_passes=0",
        "telea:radius=5",
        "flow-guided",
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("telea:radiu=3", "unknown telea option.*radiu; valid: radius"),
        ("hybrid:temporal_passes=two", "hybrid:temporal_passes: expected an integer, got 'two'"),
        ("hybrid:seam=maybe", "hybrid:seam: expected true or false"),
        ("hybrid:network", "method options: expected key=value"),
        ("hnerv:k=1", "unknown hnerv option.*hnerv takes no options"),
        ("nosuch:k=1", "unknown method 'nosuch'"),
    ],
)
def test_bad_specs_are_one_line_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_method(spec)
    assert "\n" not in str(caught.value)


def test_a_spec_reaches_the_config() -> None:
    config = method_config("smoke", method="hybrid:network=none,temporal_passes=1")
    assert config.method == "hybrid"
    assert config.method_options == {"network": "none", "temporal_passes": 1}
    assert get_method("hybrid:network=none") is get_method("hybrid")


def test_network_free_hybrid_never_fits_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import restore.methods.hybrid as hybrid

    def no_fit(*args, **kwargs):
        raise AssertionError("hybrid:network=none fitted a model")

    monkeypatch.setattr(hybrid, "fit_and_decode", no_fit)
    frames, mask = panned_clip()
    config = method_config("smoke", method="hybrid:network=none")
    result = restore(frames * (1 - mask), mask, config, task="inpaint")
    assert result.model is None and result.raw is None
    assert result.info["network_used"] is False
    assert result.timings["fit_seconds"] == 0.0
    known = mask < 0.5
    assert torch.equal(result.restored[known.expand_as(frames)], frames[known.expand_as(frames)])
    # Propagation reaches the whole hole of a panned clip: the fill is near exact without a fit.
    assert psnr_in_holes(result.restored, frames, mask) > 35.0
