import pytest

from osmckp_env.runner.spec import REDACTED, AgentSpec, load_spec, spec_from_dict

BASE = {"name": "x", "agent": "direct", "backend": "scripted"}


@pytest.mark.parametrize(
    "bad,match",
    [
        ({"agnet": "direct"}, "did you mean 'agent'"),
        ({"agent": "nope"}, "unknown agent"),
        ({"backend": "hf"}, "unknown backend"),
        ({"backend": "transformers"}, "'model' is required"),
        ({"temperature": -1}, "temperature"),
        ({"batch_size": 0}, "batch_size"),
        ({"level_edges": [512, 256]}, "strictly increasing"),
        ({"name": "has space"}, "name"),
        ({"counter": "gpt2"}, "counter"),
    ],
)
def test_validation_errors_name_the_field(bad, match):
    with pytest.raises(ValueError, match=match):
        spec_from_dict({**BASE, **bad})


def test_missing_required():
    with pytest.raises(ValueError, match="missing required"):
        spec_from_dict({"name": "x"})


def test_yaml_and_toml(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "name: a\nagent: mft\nbackend: openai\nmodel: m\nbackend_args: {api_key: sk-secret}\n"
    )
    (tmp_path / "b.toml").write_text('name = "b"\nagent = "direct"\nbackend = "scripted"\n')
    a = load_spec(tmp_path / "a.yaml")
    assert a.agent == "mft" and load_spec(tmp_path / "b.toml").name == "b"
    d = a.to_dict()
    assert d["backend_args"]["api_key"] == REDACTED and "sk-secret" not in str(d)


def test_unsafe_yaml_refused(tmp_path):
    (tmp_path / "evil.yaml").write_text(
        "name: !!python/object/apply:os.system ['echo pwned']\nagent: direct\nbackend: scripted\n"
    )
    with pytest.raises(ValueError, match="not valid YAML"):
        load_spec(tmp_path / "evil.yaml")


def test_bad_extension_and_missing(tmp_path):
    (tmp_path / "a.txt").write_text("name: a")
    with pytest.raises(ValueError, match=".yaml"):
        load_spec(tmp_path / "a.txt")
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(ValueError, match="results file"):
        load_spec(tmp_path / "a.json")
    with pytest.raises(FileNotFoundError):
        load_spec(tmp_path / "none.yaml")


def test_config_hash_ignores_secret_value():
    a = AgentSpec(**BASE, backend_args={"api_key": "k1"})
    b = AgentSpec(**BASE, backend_args={"api_key": "k2"})
    assert a.config_hash == b.config_hash
    assert AgentSpec(**BASE, seed=1).config_hash != a.config_hash


def test_every_file_in_baselines_is_a_valid_spec():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "baselines"
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.toml"))
    assert len(files) >= 15
    names = [load_spec(f).name for f in files]  # reported numbers live in leaderboards/, not here
    assert len(set(names)) == len(names)
