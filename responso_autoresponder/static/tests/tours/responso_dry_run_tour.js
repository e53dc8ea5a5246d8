/**
 * Test on the workflow form takes unsaved changes into account and saves nothing
 * (Python side: tests/test_workflow_dry_run.py, TestDryRunTour, which checks the workflow kept its condition).
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("responso_dry_run_unsaved", {
    steps: () => [
        {
            content: "the saved workflow answers Amazon only: a sample e-mail gets no answer",
            trigger: ".o_form_view .o_responso_test",
            run: "click",
        },
        {
            trigger: ".modal .alert-warning:contains(It would not answer)",
        },
        {
            trigger: ".modal .o_responso_dry_run td:contains(does not hold)",
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "remove the source condition, without saving",
            trigger: "div[name=condition_ids] .o_data_row .o_list_record_remove",
            run: "click",
        },
        {
            trigger: "div[name=condition_ids]:not(:has(.o_data_row + .o_data_row))",
        },
        {
            trigger: ".o_form_view .o_responso_test",
            run: "click",
        },
        {
            content: "the edited workflow would answer, with its message",
            trigger: ".modal .alert-success:contains(It would answer.)",
        },
        {
            trigger: ".modal div[name=preview_html]:contains(We answer within 24 hours.)",
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "Replay opens on the edited workflow",
            trigger: ".o_form_view .o_responso_replay",
            run: "click",
        },
        {
            trigger: ".modal div[name=message_count]",
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "discard the change",
            trigger: ".o_form_view .o_form_button_cancel",
            run: "click",
        },
        {
            trigger: "div[name=condition_ids] .o_data_row",
        },
    ],
});
