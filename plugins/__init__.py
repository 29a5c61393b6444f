"""The built-in plugins, registered exactly like third-party ones (see make_plugin_manager)."""

DEFAULT_PLUGINS = (
    "kipu_harness.plugins.targets",
    "kipu_harness.plugins.drivers",
    "kipu_harness.plugins.integration",
    "kipu_harness.plugins.rcm_to_emr",
    "kipu_harness.plugins.wires",
    "kipu_harness.plugins.charge_matching:by_level_of_care_id",
    "kipu_harness.plugins.charge_matching:by_service_name",
    "kipu_harness.plugins.charge_matching:by_codes",
    "kipu_harness.plugins.reports",
    "kipu_harness.plugins.report_html",
)
