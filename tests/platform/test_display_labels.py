"""Codes become words in the reader's language: units, input kinds, channels, statuses, the
fields an error names, factor series, categories and geographies, and the column headers that
meant two things under one msgid."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale

from footprint_platform import display_labels as labels
from tests.conftest import Session
from tests.platform.demo_ids import org_id


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "zh",
            {
                ("unit", "piece"): "件",
                ("unit", "t*km"): "t·km",
                ("unit", "m^3"): "m³",
                ("unit", "kg"): "kg",
                ("kind", "material"): "材料",
                ("channel", "cli"): "命令行",
                ("status", "submitted"): "已提交",
                ("field", "quantity"): "每声明单位数量",
                ("field", "factor_code"): "因子数据集",
                ("series", "carbon_footprint"): "碳足迹",
                ("factor_category", "process_gas"): "工艺气体",
                ("geography", "GLO"): "全球",
                ("component", "cell_casing"): "电芯壳体",
            },
        ),
        (
            "en",
            {
                ("unit", "piece"): "piece",
                ("unit", "t*km"): "t·km",
                ("kind", "material"): "Material",
                ("channel", "cli"): "Command line",
                ("status", "submitted"): "Submitted",
                ("field", "quantity"): "Quantity per declared unit",
                ("field", "factor_code"): "Factor dataset",
                ("series", "carbon_footprint"): "Carbon footprint",
                ("geography", "GLO"): "World",
            },
        ),
    ],
)
def test_codes_read_as_words_in_both_languages(
    demo_app: Flask, locale: str, expected: dict[tuple[str, str], str]
) -> None:
    with demo_app.test_request_context("/"), force_locale(locale):
        got = {(f, code): labels.FILTERS[f](code) for f, code in expected}
    assert got == expected


def test_an_unknown_code_is_shown_as_it_is_never_dropped(demo_app: Flask) -> None:
    with demo_app.test_request_context("/"), force_locale("zh"):
        assert labels.unit_label("furlong") == "furlong"
        assert labels.kind_label("new_kind") == "new_kind"
        assert labels.field_label("no_such_field") == "no_such_field"
        assert labels.unit_label(None) == ""


def test_the_audit_log_and_the_request_inbox_name_their_columns_apart(
    demo_app: Flask, auth: Session
) -> None:
    """“From” meant the IP address in the audit log and the customer in the inbox; one msgid
    gave the customer column "来源 IP" in Chinese."""
    auth.login("admin@bashu-lfp.example")
    with demo_app.app_context():
        org = org_id("Bashu LFP Power")
    auth.post("/language/zh")
    inbox = auth.client.get(f"/orgs/{org}/requests").get_data(as_text=True)
    audit = auth.client.get(f"/orgs/{org}/audit").get_data(as_text=True)
    assert "来源 IP" not in inbox and "客户" in inbox
    assert "来源 IP" in audit
    assert "命令行" in audit or "网页表单" in audit  # channels as words, not `cli`/`web`
