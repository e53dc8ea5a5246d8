/**
 * The seed's templates "personnalisez-les selon vos besoins": a French manager adds the weekend template and rewrites
 * its message in the form (Python side: tests/test_tours.py, test_template_message_rewritten_in_the_form, which
 * checks that the template's texts in the other languages followed the edit).
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("responso_template_message_rewritten", {
    steps: () => [
        {
            content: "Templates",
            trigger: ".o_control_panel button:contains(Modèles)",
            run: "click",
        },
        {
            content: "Add the weekend template",
            trigger: ".o_kanban_record:contains(week-end) button[name=action_add_from_template]:contains(Ajouter)",
            run: "click",
        },
        {
            content: "the copy's message line",
            trigger: ".o_form_view div[name=action_ids] .o_data_row .o_data_cell",
            run: "click",
        },
        {
            content: "its message, in the dialog",
            trigger: ".modal div[name=body_html] div.note-editable.odoo-editor-editable",
            run: "click",
        },
        {
            content: "rewritten",
            trigger: ".modal div[name=body_html] div.note-editable[spellcheck='true'].odoo-editor-editable",
            run: "editor Boutique fermée jusqu'au 7 janvier : nous vous répondrons ensuite.",
        },
        {
            content: "keep the line",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "save the workflow",
            trigger: ".o_form_view:not(:has(.modal)) .o_form_button_save",
            run: "click",
        },
        {
            content: "saved",
            trigger: ".o_form_view .o_form_saved, .o_form_view:not(:has(.o_form_button_save:visible))",
        },
    ],
});
