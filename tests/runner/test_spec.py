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
    from osmckp_env.backends import check_backend_args

    for f in files:
        spec = load_spec(f)
        given = ("path",) if spec.backend == "replay" else ("model",)
        assert check_backend_args(spec.backend, spec.backend_args, given) == [], f
    reasoning = {"deepseek-v3.2-thinking", "qwen3-8b-thinking", "qwen3-1.7b-no-thinking", "o4-mini", "gpt-oss-20b-vllm"}
    assert reasoning <= set(names) and "deepseek-r1-distill-qwen-1.5b" in names


def test_backend_args_are_checked_against_the_signature():
    from osmckp_env.backends import check_backend_args

    assert check_backend_args("openai", {"concurency": 2}, ("model",)) == [
        "backend 'openai' has no argument 'concurency' (did you mean 'concurrency'?); it takes "
        + str(
            sorted(
                [
                    "api_key",
                    "api_key_env",
                    "backoff_s",
                    "base_url",
                    "chat_template_kwargs",
                    "concurrency",
                    "counter",
                    "endpoint",
                    "extra_body",
                    "max_retries",
                    "max_tokens_param",
                    "model",
                    "opens_thinking",
                    "replica_cooldown_s",
                    "timeout_s",
                    "tokenizer",
                    "usage_tolerance",
                ]
            )
        )
    ]
    assert check_backend_args("openai", {}, ()) == [
        "backend 'openai' needs argument 'model' (in backend_args or the spec's model)"
    ]
    assert check_backend_args("vllm", {"tensor_parallel_size": 2}, ("model",)) == []  # vllm.LLM's own keywords
    spec = AgentSpec(**{**BASE, "backend": "scripted"}, backend_args={"replly": "gold"})
    assert any("did you mean 'reply'" in p for p in spec.check_runnable())


def test_backend_args_think_markers_is_refused_for_the_spec_field():
    with pytest.raises(ValueError, match="spec's own 'think_markers' field"):
        AgentSpec(
            name="x", agent="direct", backend="openai", model="m", backend_args={"think_markers": ["<a>", "</a>"]}
        )


def test_the_runner_gives_the_backend_the_specs_think_markers():
    pytest.importorskip("openai")
    from osmckp_env.runner.run import build_backend

    spec = AgentSpec(name="x", agent="direct", backend="openai", model="m", think_markers=["<r>", "</r>"])
    assert build_backend(spec).think_markers == ("<r>", "</r>")
    assert build_backend(AgentSpec(name="x", agent="direct", backend="scripted")).name == "scripted"


@pytest.mark.parametrize(
    "fields,match",
    [
        (
            {"backend": "openai", "model": "m", "backend_args": {"concurrency": "lots"}},
            "concurrency must be a positive",
        ),
        ({"backend": "openai", "model": "m", "backend_args": {"timeout_s": -1}}, "timeout_s must be a positive"),
        ({"backend": "openai", "model": "m", "backend_args": {"base_url": []}}, "base_url must be"),
        ({"backend": "scripted", "backend_args": {"reply": "gld"}}, "unknown script 'gld'"),
        ({"backend": "scripted", "backend_args": {"overrun": "yes"}}, "overrun must be true or false"),
        ({"backend": "transformers", "model": "org/m", "backend_args": {"dtype": "float8"}}, "dtype must be one of"),
        ({"backend": "transformers", "model": "org/m", "backend_args": {"batch_size": 0}}, "batch_size must be"),
        ({"backend": "replay", "model": "no/such/records.jsonl"}, "no records file there"),
        ({"backend": "scripted", "model": "m"}, "backend 'scripted' has no argument 'model'"),
    ],
)
def test_what_the_backend_refuses_validate_refuses_first(fields, match):
    """One check for validate and run: the backend's own (its constructor refuses the same)."""
    from osmckp_env.runner.run import build_backend

    spec = AgentSpec(**{**BASE, **fields})
    problems, missing = spec.preflight()
    assert any(match in p for p in problems), problems
    with pytest.raises((ValueError, TypeError, KeyError)) as refused:
        build_backend(spec)  # nothing loads: the same check refuses before any model or client
    named = {"unknown script 'gld'": "gld", "backend 'scripted' has no argument 'model'": "'model'"}
    assert named.get(match, match) in str(refused.value)


def test_agent_args_are_checked_against_the_agent_class():
    spec = AgentSpec(**BASE, agent_args={"instructons": "x", "bins": [1]})
    problems = spec.preflight()[0]
    assert any("agent 'direct' has no argument 'instructons'" in p for p in problems)
    assert any("agent_args may not set 'bins'" in p for p in problems)
    assert AgentSpec(**BASE).preflight() == ([], [])


def test_a_missing_backend_extra_is_not_a_problem_of_the_spec(monkeypatch):
    from osmckp_env import backends

    monkeypatch.setitem(backends.BACKEND_NEEDS, "vllm", (("no_such_vllm",), 'pip install "osmckp[vllm]"'))
    problems, missing = AgentSpec(**{**BASE, "backend": "vllm", "model": "org/m"}).preflight()
    assert problems == [] and len(missing) == 1 and 'pip install "osmckp[vllm]"' in missing[0]
    # a wrong argument is still a problem when the extra is missing (checked without vllm)
    bad = AgentSpec(**{**BASE, "backend": "vllm", "model": "org/m", "backend_args": {"chat_template_kwargs": "x"}})
    assert any("chat_template_kwargs must be a mapping" in p for p in bad.preflight()[0])
