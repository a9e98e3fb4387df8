"""The service's settings as the environment gives them (``api.settings``): every variable
is documented, a value that cannot be read is refused naming its variable, blank means the
default, and what is set in code only is never read from the environment."""

from __future__ import annotations

import os

import pytest

import api.settings
from api.settings import ServiceSettings
from ledger.errors import InvalidInput

VARIABLES = {name: field.validation_alias for name, field in
             ServiceSettings.model_fields.items() if field.validation_alias is not None}
NUMBERS = [variable for name, variable in VARIABLES.items()
           if ServiceSettings.model_fields[name].annotation in (float, int)]


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("AGRITRACE")]:
        monkeypatch.delenv(name)


def test_every_variable_is_documented() -> None:
    assert len(VARIABLES) == 21
    for variable in VARIABLES.values():
        assert f"``{variable}``" in (api.settings.__doc__ or ""), variable


@pytest.mark.parametrize("variable", NUMBERS)
def test_a_number_that_cannot_be_read_is_refused_naming_its_variable(
        variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for junk in ("soon", "-1", "1e10"):
        monkeypatch.setenv(variable, junk)
        with pytest.raises(InvalidInput) as refused:
            ServiceSettings.from_env()
        assert refused.value.field == variable
    monkeypatch.setenv(variable, "  ")  # blank: the default
    assert ServiceSettings.from_env() == ServiceSettings()


def test_the_switch_and_the_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGRITRACE_INTEGRATE", " No ")
    monkeypatch.setenv("AGRITRACE_METRICS_ALLOW", "10.0.0.0/8, ::1")
    read = ServiceSettings.from_env()
    assert read.integrate is False
    assert [str(network) for network in read.metrics_allow] == ["10.0.0.0/8", "::1/128"]
    for value in ("", "maybe"):
        monkeypatch.setenv("AGRITRACE_INTEGRATE", value)
        with pytest.raises(InvalidInput, match="must be 1 or 0") as refused:
            ServiceSettings.from_env()
        assert refused.value.field == "AGRITRACE_INTEGRATE"


def test_what_is_set_in_code_is_not_read_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BATCH_SIZE", "IDLE", "CONFLICT_RETRIES"):
        monkeypatch.setenv(name, "7")
        monkeypatch.setenv(f"AGRITRACE_{name}", "7")
    read = ServiceSettings.from_env()
    assert (read.batch_size, read.idle, read.conflict_retries) == (1000, 0.5, 2)
    assert ServiceSettings(idle=0.05, rate_per_second=0).idle == 0.05  # by name, in code


def test_webhook_senders_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGRITRACE_WEBHOOK_CONCURRENCY", "64")
    assert ServiceSettings.from_env().delivery.concurrency == 64
    monkeypatch.setenv("AGRITRACE_WEBHOOK_CONCURRENCY", "257")
    with pytest.raises(InvalidInput) as refused:
        ServiceSettings.from_env()
    assert refused.value.field == "AGRITRACE_WEBHOOK_CONCURRENCY"
