"""Package type and runtime hint to the program that starts it (npx, uvx, docker run, dnx,
...), the registry base URL honoured, and runtime arguments before the package, package
arguments after it."""

from __future__ import annotations

from typing import Any

import pytest

from registrum.core.install.launchers import launcher
from tests.unit.core.install.documents import ALL_CLIENTS, argv, document, generic, install, package

BASE = "https://registry.example.com"


def positional(value: str) -> dict[str, Any]:
    return {"type": "positional", "value": value}


# --- npm -------------------------------------------------------------------------------------


@pytest.mark.parametrize("hint", [None, "npx", "node", "npm"])
def test_npm_runs_with_npx_answering_its_install_question(hint):
    members = {"runtimeHint": hint} if hint else {}
    assert argv(document(packages=[package("npm", "@scope/srv", "2.0.0", **members)])) == [
        "npx",
        "-y",
        "@scope/srv@2.0.0",
    ]


def test_npx_does_not_double_a_yes_the_publisher_gives():
    pkg = package("npm", "srv", "1.0.0", runtimeHint="npx", runtimeArguments=[positional("--yes")])
    assert argv(document(packages=[pkg])) == ["npx", "--yes", "srv@1.0.0"]


def test_npm_base_url_is_the_registry_npx_fetches_from():
    pkg = package("npm", "srv", "1.0.0", registryBaseUrl=BASE)
    words = argv(document(packages=[pkg]))
    assert words[0] == "npx"
    assert words[words.index("--registry") + 1] == BASE
    assert words.index("--registry") < words.index("srv@1.0.0")


@pytest.mark.parametrize("hint", ["bun", "bunx"])
def test_bun_runs_with_bunx_and_reads_the_registry_from_its_environment(hint):
    config = generic(document(packages=[package("npm", "srv", "1.0.0", runtimeHint=hint)]))
    assert [config["command"], *config["args"]] == ["bunx", "srv@1.0.0"]
    assert "env" not in config
    based = generic(
        document(packages=[package("npm", "srv", "1.0.0", runtimeHint=hint, registryBaseUrl=BASE)])
    )
    assert based["env"] == {"NPM_CONFIG_REGISTRY": BASE}


def test_pnpm_runs_with_dlx_and_registry_option():
    pkg = package("npm", "srv", "1.0.0", runtimeHint="pnpm", registryBaseUrl=BASE)
    assert argv(document(packages=[pkg])) == ["pnpm", "dlx", "--registry", BASE, "srv@1.0.0"]


def test_yarn_dlx_reads_the_registry_from_yarns_own_setting():
    # `yarn dlx` is Yarn 2 or later, whose settings come from YARN_* variables
    # (npmRegistryServer -> YARN_NPM_REGISTRY_SERVER); it ignores NPM_CONFIG_REGISTRY.
    config = generic(
        document(
            packages=[package("npm", "srv", "1.0.0", runtimeHint="yarn", registryBaseUrl=BASE)]
        )
    )
    assert [config["command"], *config["args"]] == ["yarn", "dlx", "srv@1.0.0"]
    assert config["env"] == {"YARN_NPM_REGISTRY_SERVER": BASE}


def test_an_unknown_hint_falls_back_to_the_usual_launcher_and_says_so_to_every_client():
    result = install(document(packages=[package("npm", "srv", "1.0.0", runtimeHint="deno")]))
    assert result.configs["generic"].config is not None
    assert result.configs["generic"].config["command"] == "npx"
    for client in ALL_CLIENTS:
        assert any("deno" in w for w in result.configs[client].warnings), client


def test_a_package_without_a_version_runs_the_newest_and_says_so():
    result = install(document(packages=[package("npm", "srv", None)]))
    assert argv(document(packages=[package("npm", "srv", None)])) == ["npx", "-y", "srv"]
    for client in ALL_CLIENTS:
        assert any("newest" in w for w in result.configs[client].warnings), client


# --- pypi ------------------------------------------------------------------------------------


@pytest.mark.parametrize("hint", [None, "uvx", "uv", "python"])
def test_pypi_runs_with_uvx(hint):
    members = {"runtimeHint": hint} if hint else {}
    pkg = package("pypi", "weather-mcp", "0.4.1", **members)
    assert argv(document(packages=[pkg])) == ["uvx", "weather-mcp@0.4.1"]


@pytest.mark.parametrize(
    ("base", "index"),
    [
        # A base URL is the registry's root (the JSON API is under it, as the pypi verifier
        # reads it); the simple index installers read is under /simple.
        (BASE, f"{BASE}/simple"),
        (f"{BASE}/", f"{BASE}/simple"),
        # A base URL that already is an index is used as given.
        (f"{BASE}/simple", f"{BASE}/simple"),
        (f"{BASE}/simple/", f"{BASE}/simple/"),
        (f"{BASE}/api/pypi/team/simple", f"{BASE}/api/pypi/team/simple"),
    ],
)
def test_pypi_base_url_becomes_the_index_uvx_reads(base, index):
    pkg = package("pypi", "weather-mcp", "0.4.1", registryBaseUrl=base)
    assert argv(document(packages=[pkg])) == ["uvx", "--index-url", index, "weather-mcp@0.4.1"]


def test_pipx_hint_runs_with_pipx_and_a_pinned_requirement():
    pkg = package("pypi", "weather-mcp", "0.4.1", runtimeHint="pipx", registryBaseUrl=BASE)
    assert argv(document(packages=[pkg])) == [
        "pipx",
        "run",
        "--index-url",
        f"{BASE}/simple",
        "weather-mcp==0.4.1",
    ]


def test_unknown_pypi_hint_falls_back_to_uvx_with_a_warning():
    result = install(document(packages=[package("pypi", "w", "1", runtimeHint="conda")]))
    generic_config = result.configs["generic"]
    assert generic_config.config is not None
    assert generic_config.config["command"] == "uvx"
    assert any("conda" in w for w in generic_config.warnings)


# --- oci -------------------------------------------------------------------------------------


@pytest.mark.parametrize("registry_type", ["oci", "docker"])
def test_an_image_runs_interactively_and_is_removed_after(registry_type):
    pkg = package(registry_type, "team/weather", "1.0.0")
    assert argv(document(packages=[pkg])) == [
        "docker",
        "run",
        "-i",
        "--rm",
        "team/weather:1.0.0",
    ]


def test_an_image_needs_no_version_note_and_keeps_its_own_tag():
    result = install(document(packages=[package("oci", "team/weather:2.0", None)]))
    config = result.configs["generic"]
    assert config.config is not None
    assert config.config["args"][-1] == "team/weather:2.0"
    assert not any("newest" in w for w in config.warnings)
    digest = "team/weather@sha256:" + "a" * 64
    assert argv(document(packages=[package("oci", digest, "1.0.0")]))[-1] == digest


def test_podman_hint_runs_with_podman():
    pkg = package("oci", "team/weather", "1.0.0", runtimeHint="podman")
    assert argv(document(packages=[pkg]))[:2] == ["podman", "run"]


@pytest.mark.parametrize(
    ("identifier", "base", "image"),
    [
        ("team/weather", "https://images.example.com", "images.example.com/team/weather:1"),
        ("weather", "https://images.example.com:5000", "images.example.com:5000/weather:1"),
        # the image names its own registry: the base URL adds nothing
        ("other.example.com/team/weather", "https://images.example.com", None),
        ("localhost/weather", "https://images.example.com", None),
        # Docker Hub is what an image without a host means already
        ("team/weather", "https://docker.io", "team/weather:1"),
    ],
)
def test_the_base_urls_host_goes_before_an_image_that_names_none(identifier, base, image):
    pkg = package("oci", identifier, "1", registryBaseUrl=base)
    assert argv(document(packages=[pkg]))[-1] == (image or f"{identifier}:1")


def test_a_container_gets_each_environment_variable_passed_by_name():
    pkg = package(
        "oci",
        "team/weather",
        "1",
        environmentVariables=[
            {"name": "REGION", "value": "eu-west"},
            {"name": "API_KEY", "isRequired": True, "isSecret": True},
        ],
    )
    config = generic(document(packages=[pkg]))
    assert config["args"] == [
        "run",
        "-i",
        "--rm",
        "-e",
        "REGION",
        "-e",
        "API_KEY",
        "team/weather:1",
    ]
    assert config["env"] == {"REGION": "eu-west", "API_KEY": "${API_KEY}"}


def test_runtime_arguments_go_between_docker_run_and_the_image():
    pkg = package(
        "oci",
        "team/weather",
        "1",
        runtimeHint="docker",
        runtimeArguments=[
            {"type": "named", "name": "-p", "value": "8080:8080"},
            {"type": "named", "name": "--network", "value": "host"},
        ],
        packageArguments=[{"type": "named", "name": "--verbose"}],
    )
    assert argv(document(packages=[pkg])) == [
        "docker",
        "run",
        "-i",
        "--rm",
        "-p",
        "8080:8080",
        "--network",
        "host",
        "team/weather:1",
        "--verbose",
    ]


def test_docker_flags_the_publisher_gives_are_not_doubled():
    pkg = package(
        "oci",
        "team/weather",
        "1",
        runtimeArguments=[positional("-i"), positional("--rm")],
    )
    assert argv(document(packages=[pkg])) == ["docker", "run", "-i", "--rm", "team/weather:1"]


def test_a_variable_the_runtime_arguments_pass_already_is_not_passed_twice():
    pkg = package(
        "oci",
        "team/weather",
        "1",
        runtimeArguments=[{"type": "named", "name": "-e", "value": "REGION=eu"}],
        environmentVariables=[{"name": "REGION", "value": "eu"}],
    )
    args = generic(document(packages=[pkg]))["args"]
    assert args.count("-e") == 1


def test_a_passed_variable_whose_value_is_asked_for_is_not_passed_twice():
    pkg = package(
        "oci",
        "team/weather",
        "1",
        runtimeArguments=[
            {
                "type": "named",
                "name": "-e",
                "value": "TOKEN={token}",
                "variables": {"token": {"isRequired": True, "isSecret": True}},
            }
        ],
        environmentVariables=[{"name": "TOKEN", "isRequired": True, "isSecret": True}],
    )
    args = generic(document(packages=[pkg]))["args"]
    assert args.count("-e") == 1


def test_a_publisher_spelled_docker_run_gets_environment_flags_before_the_image():
    # Anything after the image is the container's own command line: `-e NAME` there would be
    # an argument to the server, not to docker.
    pkg = package(
        "oci",
        "team/weather",
        "1",
        runtimeArguments=[
            positional("run"),
            positional("-i"),
            positional("--rm"),
            positional("team/weather:1"),
        ],
        environmentVariables=[{"name": "REGION", "value": "eu"}],
        packageArguments=[positional("serve")],
    )
    words = argv(document(packages=[pkg]))
    assert words.count("team/weather:1") == 1
    image = words.index("team/weather:1")
    assert words[:2] == ["docker", "run"]
    assert words.index("-e") < image
    assert words[words.index("-e") + 1] == "REGION"
    assert words[image + 1 :] == ["serve"]


# --- nuget -----------------------------------------------------------------------------------


@pytest.mark.parametrize("hint", [None, "dnx", "dotnet"])
def test_nuget_runs_with_dnx_and_its_arguments_after_a_separator(hint):
    members = {"runtimeHint": hint} if hint else {}
    pkg = package(
        "nuget",
        "Example.Weather",
        "1.0.0",
        registryBaseUrl="https://nuget.example.com/v3/index.json",
        packageArguments=[positional("serve")],
        **members,
    )
    assert argv(document(packages=[pkg])) == [
        "dnx",
        "Example.Weather@1.0.0",
        "--yes",
        "--source",
        "https://nuget.example.com/v3/index.json",
        "--",
        "serve",
    ]


def test_nuget_without_package_arguments_has_no_separator():
    assert argv(document(packages=[package("nuget", "Example.Weather", "1.0.0")])) == [
        "dnx",
        "Example.Weather@1.0.0",
        "--yes",
    ]


# --- what has no launcher --------------------------------------------------------------------


def mcpb_bundle() -> tuple[dict[str, Any], str, str]:
    digest = "ab" * 32
    url = "https://downloads.example.com/weather.mcpb"
    return package("mcpb", url, "1.0.0", fileSha256=digest), url, digest


def test_an_mcpb_bundle_gets_a_reason_with_where_to_get_it_and_its_digest():
    pkg, url, digest = mcpb_bundle()
    result = install(document(packages=[pkg]), option=0)
    (summary,) = result.to_json()["options"]
    assert summary["supported"] is False
    for reason in [summary["reason"], *(c.reason for c in result.configs.values())]:
        assert reason is not None
        assert url in reason
        assert digest in reason
        assert "bundle" in reason
    for client in ALL_CLIENTS:
        assert result.configs[client].config is None


def test_a_crate_gets_a_reason_with_the_install_command():
    result = install(document(packages=[package("cargo", "weather-mcp", "0.3.0")]), option=0)
    for client in ALL_CLIENTS:
        reason = result.configs[client].reason
        assert reason is not None
        assert "cargo install weather-mcp --version 0.3.0" in reason


def test_a_server_with_only_a_bundle_says_the_bundles_reason_without_being_asked():
    pkg, url, _ = mcpb_bundle()
    result = install(document(packages=[pkg]))
    for client in ALL_CLIENTS:
        reason = result.configs[client].reason
        assert reason is not None
        assert url in reason


@pytest.mark.parametrize(
    ("pkg", "said"),
    [
        (package("gem", "weather"), "'gem'"),
        ({"identifier": "weather"}, "(none)"),
        (package("npm", ""), "no identifier"),
    ],
)
def test_what_has_no_launcher_is_said(pkg, said):
    how = launcher(pkg, [])
    assert isinstance(how, str)
    assert said in how


def test_runtime_arguments_before_the_package_and_package_arguments_after():
    pkg = package(
        "npm",
        "srv",
        "1.0.0",
        runtimeArguments=[{"type": "named", "name": "--node-options", "value": "--inspect"}],
        packageArguments=[positional("serve"), {"type": "named", "name": "--port", "value": "9"}],
    )
    assert argv(document(packages=[pkg])) == [
        "npx",
        "-y",
        "--node-options",
        "--inspect",
        "srv@1.0.0",
        "serve",
        "--port",
        "9",
    ]
