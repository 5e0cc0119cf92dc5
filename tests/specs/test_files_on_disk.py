"""Problems that cannot live in the corpus as plain files: size, symlinks, paths."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result
from tests.helpers import job, make_repo, write_yaml


def test_oversized_yaml_is_refused_without_parsing(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False, judged=False)
    big = root / "specs/jobs/huge.yaml"
    big.write_text("name: huge\n" + "# padding\n" * 120_000)
    result = run("--repo", root, "validate")
    assert result.code == 2
    assert result.out.startswith("specs/jobs/huge.yaml:1:1: file is 1,200,011 bytes;")
    assert "limited to 1,048,576 bytes" in result.out


def test_symlinked_dataset_pointing_outside_is_refused(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False, judged=False)
    outside = tmp_path / "secret.jsonl"
    outside.write_text("{}\n")
    (root / "specs/datasets/link.jsonl").symlink_to(outside)
    write_yaml(
        root / "specs/jobs/linked.yaml", job("linked", datasetUri="specs/datasets/link.jsonl")
    )
    result = run("--repo", root, "validate")
    assert result.code == 2
    assert result.out == (
        "specs/jobs/linked.yaml:4:13: datasetUri: 'specs/datasets/link.jsonl' is a symlink "
        "that points outside the repository\n"
    )


def test_symlink_inside_repository_is_fine(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False, judged=False)
    (root / "specs/datasets/alias.jsonl").symlink_to(root / "specs/datasets/train.jsonl")
    write_yaml(
        root / "specs/jobs/linked.yaml", job("linked", datasetUri="specs/datasets/alias.jsonl")
    )
    assert run("--repo", root, "validate").code == 0


def test_all_errors_of_all_files_in_one_run(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", jobs=("good",), git_init=False)
    (root / "specs/jobs/one.yaml").write_text("name: one\nprovider: azure\n")
    (root / "specs/jobs/two.yaml").write_text("name: [two\n")
    result = run("--repo", root, "validate")
    assert result.code == 2
    lines = result.out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["specs/jobs/one.yaml"] * 5 + [
        "specs/jobs/two.yaml"
    ]
    assert "5 errors" not in result.out
    assert result.err.splitlines()[-1] == "6 errors in 2 files, 0 warnings"


def test_paths_limit_the_report_to_those_files(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", jobs=("good",), git_init=False)
    (root / "specs/jobs/bad.yaml").write_text("name: bad\n")
    assert run("--repo", root, "validate", root / "specs/jobs/good.yaml").code == 0
    result = run("--repo", root, "validate", root / "specs/jobs")
    assert result.code == 2
    assert result.out.startswith("specs/jobs/bad.yaml:1:1: missing required field")


def test_same_spec_name_in_yaml_and_yml_is_an_error(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", jobs=("twin",), git_init=False)
    body = job("twin")
    body["promotion"]["alias"] = "canary"
    write_yaml(root / "specs/jobs/twin.yml", body)
    result = run("--repo", root, "validate")
    assert result.out == (
        "specs/jobs/twin.yml:1:7: spec name 'twin' is already used by specs/jobs/twin.yaml\n"
    )


def test_two_specs_on_one_alias_conflict(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", jobs=("first",), git_init=False)
    write_yaml(root / "specs/jobs/second.yaml", job("second"))
    result = run("--repo", root, "validate")
    assert result.code == 2
    assert (
        "promotion.alias: tutor:production is already promoted by specs/jobs/first.yaml"
        in result.out
    )


def test_new_model_claimed_by_two_scopes(tmp_path: Path, run: Callable[..., Result]) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False, judged=False)
    a = job("a", promotion={"model": "fresh", "alias": "production"})
    b = job("b", promotion={"model": "fresh", "alias": "canary"})
    b["policy"]["scope"] = "tenant_b"
    write_yaml(root / "specs/jobs/a.yaml", a)
    write_yaml(root / "specs/jobs/b.yaml", b)
    result = run("--repo", root, "validate")
    assert (
        "new model 'fresh' is also claimed by specs/jobs/a.yaml for scope 'tenant_a'" in result.out
    )


def test_remote_uris_are_accepted_without_network(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = make_repo(tmp_path / "repo", jobs=(), git_init=False, judged=False)
    write_yaml(
        root / "specs/jobs/remote.yaml",
        job(
            "remote",
            datasetUri="https://data.example.com/train.jsonl",
            validationDatasetUri="gs://bucket/val.jsonl",
        ),
    )
    assert run("--repo", root, "validate").code == 0
