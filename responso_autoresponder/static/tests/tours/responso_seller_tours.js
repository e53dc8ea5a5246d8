/**
 * The seed's walk-through, clicked in French by a manager who is not an administrator
 * (Python side: tests/test_tours.py, which also asserts what the clicks stored).
 * Steps that log "responso_screenshot:<name>" ask the Python side for a screenshot of the screen.
 */
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const tours = registry.category("web_tour.tours");

function screenshot(name, scrollTo = null) {
    return {
        content: `screenshot: ${name}`,
        trigger: scrollTo || "body",
        run: async () => {
            if (scrollTo) {
                document.querySelector(scrollTo).scrollIntoView({ block: "center" });
            }
            console.log(`responso_screenshot:${name}`);
            // let the browser paint before the tour moves on (the capture is asynchronous)
            await new Promise((resolve) => setTimeout(resolve, 400));
        },
    };
}

const openWorkflows = [
    stepUtils.showAppsMenuItem(),
    {
        content: "Autoresponder app",
        trigger: ".o_app[data-menu-xmlid='responso_autoresponder.responso_menu_root']",
        run: "click",
    },
    {
        content: "Configuration menu",
        trigger: ".o_main_navbar button[data-menu-xmlid='responso_autoresponder.responso_menu_config']",
        run: "click",
    },
    {
        content: "Automated workflows",
        trigger: ".dropdown-item[data-menu-xmlid='responso_autoresponder.responso_menu_workflows']:contains(Workflows automatisés)",
        run: "click",
    },
];

function addCondition() {
    return [
        {
            content: "the seed's “+ Ajouter une condition”",
            trigger: "div[name=condition_ids] .o_field_x2many_list_row_add a:contains(Ajouter une condition)",
            run: "click",
        },
        {
            content: "a small form titled as the link",
            trigger: ".modal .modal-title:contains(Ajouter une condition)",
        },
    ];
}

const saveDialog = {
    content: "save the line",
    trigger: ".modal .o_form_button_save",
    run: "click",
};

tours.add("responso_seed_walkthrough", {
    steps: () => [
        ...openWorkflows,
        {
            content: "the seed's “Ajouter un workflow”",
            trigger: ".o_list_button_add:contains(Ajouter un workflow)",
            run: "click",
        },
        {
            content: "the form's create button says the same, not “Nouveau”",
            trigger: ".o_control_panel .o_form_button_create:contains(Ajouter un workflow)",
        },
        {
            content: "Nom",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Allegro : nous répondons sous 24 heures",
        },
        {
            content: "Description",
            trigger: ".o_field_widget[name=description] textarea",
            run: "edit Répond aux Discussions et au Centre de messages Allegro",
        },
        {
            content: "the seed's “+ Ajouter une action”",
            trigger: "div[name=action_ids] .o_field_x2many_list_row_add a:contains(Ajouter une action)",
            run: "click",
        },
        {
            content: "the dialog is titled as the link, not “Créer Actions”",
            trigger: ".modal .modal-title:contains(Ajouter une action)",
        },
        {
            content: "Envoyer un message is selected by default",
            trigger: ".modal div[name=action_type] select:has(option:selected:contains(Envoyer un message))",
        },
        {
            content: "the Message field below (focus makes the editor create its first paragraph)",
            trigger: ".modal div[name=body_html] div.note-editable.odoo-editor-editable",
            run: "click",
        },
        {
            content: "Message",
            trigger: ".modal div[name=body_html] div.note-editable[spellcheck='true'].odoo-editor-editable",
            run: "editor Merci pour votre message ! Un conseiller vous répond sous 24 heures.",
        },
        saveDialog,
        ...addCondition(),
        {
            content: "Source is the default type",
            trigger: ".modal div[name=kind] select:has(option:selected:contains(Source))",
        },
        screenshot("condition_dialog_source"),
        {
            content: "choose Action",
            trigger: ".modal div[name=kind] select",
            run: 'select "trigger"',
        },
        {
            content: "the two values below the action",
            trigger: ".modal div[name=trigger] select:has(option:contains(Premier message du client))",
        },
        {
            content: "Chaque nouveau message du client",
            trigger: ".modal div[name=trigger] select",
            run: 'select "each_message"',
        },
        screenshot("condition_dialog_action"),
        saveDialog,
        {
            content: "the line reads in full, with the minimum interval next to the trigger",
            trigger: "div[name=condition_ids] .o_data_row:contains(Chaque nouveau message du client):contains(Au plus une réponse automatique par client et par compte toutes les 24 h)",
        },
        ...addCondition(),
        {
            content: "Source stays; the second dropdown is called Condition",
            trigger: ".modal .o_form_label:contains(Condition)",
        },
        {
            content: "Source field",
            trigger: ".modal div[name=source_ids] input",
            run: "fill Discussions",
        },
        {
            content: "Discussions Allegro",
            trigger: ".o-autocomplete--dropdown-item a:contains(Discussions Allegro)",
            run: "click",
        },
        {
            content: "Source field again",
            trigger: ".modal div[name=source_ids] input",
            run: "fill Centre",
        },
        {
            content: "Centre de messages Allegro",
            trigger: ".o-autocomplete--dropdown-item a:contains(Centre de messages Allegro)",
            run: "click",
        },
        {
            content: "both chosen",
            trigger: ".modal div[name=source_ids] .o_tag:contains(Centre de messages Allegro)",
        },
        saveDialog,
        {
            content: "one readable line: type, condition, values",
            trigger: "div[name=condition_ids] .o_data_row:contains(figure parmi):contains(Discussions Allegro, Centre de messages Allegro)",
        },
        {
            content: "no Amazon warning for an Allegro workflow",
            trigger: ".o_form_sheet:not(:has(.o_responso_amazon_warning:visible))",
        },
        screenshot("workflow_form_fr", "div[name=condition_ids]"),
        {
            content: "the seed's “Ajouter” button",
            trigger: ".o_form_statusbar button[name=action_responso_add]:contains(Ajouter)",
            run: "click",
        },
        {
            content: "the new autoresponder appears in the list, enabled",
            trigger: ".o_list_view .o_data_row:not(.text-muted):contains(Allegro : nous répondons sous 24 heures):contains(Discussions Allegro, Centre de messages Allegro)",
        },
        screenshot("workflow_list_fr"),
        // a simulated Allegro buyer
        {
            content: "Autoresponder app menu",
            trigger: ".o_main_navbar a[data-menu-xmlid='responso_autoresponder.responso_menu_conversations'], .o_main_navbar button[data-menu-xmlid='responso_autoresponder.responso_menu_conversations']",
            run: "click",
        },
        {
            content: "the buyer's Allegro conversation",
            trigger: ".o_list_view .o_data_row td.o_data_cell:contains(Où est mon colis)",
            run: "click",
        },
        {
            content: "its form",
            trigger: ".o_form_view .o_form_statusbar",
        },
        {
            content: "Simulate buyer message",
            trigger: ".o_form_statusbar button:contains(Simuler un message du client)",
            run: "click",
        },
        {
            content: "the buyer writes",
            trigger: ".modal div[name=body] textarea",
            run: "edit Bonjour, quand arrivera mon colis ?",
        },
        {
            content: "Post as the buyer",
            trigger: ".modal button:contains(Publier en tant que client)",
            run: "click",
        },
        {
            content: "the buyer's message is in the chatter",
            trigger: ".o-mail-Message:contains(quand arrivera mon colis)",
        },
    ],
});

tours.add("responso_seed_chatter", {
    steps: () => [
        {
            content: "the workflow answered the buyer, in the chatter",
            trigger: ".o-mail-Message:contains(Un conseiller vous répond sous 24 heures)",
        },
        screenshot("conversation_chatter_fr", ".o-mail-Message"),
    ],
});

tours.add("responso_templates_two_clicks", {
    steps: () => {
        const steps = [...openWorkflows];
        for (const name of ["Amazon", "week-end", "hors"]) {
            steps.push(
                {
                    content: "Templates (first click)",
                    trigger: ".o_control_panel button:contains(Modèles)",
                    run: "click",
                },
                {
                    content: `Add (second click): ${name}`,
                    trigger: `.o_kanban_record:contains(${name}) button[name=action_add_from_template]:contains(Ajouter)`,
                    run: "click",
                },
                {
                    content: "the copy opens, with its timezone shown",
                    trigger: ".o_form_view div[name=tz]:contains(Europe/Warsaw)",
                },
                {
                    content: "an editable workflow, not a template",
                    trigger: ".o_form_view:not(:has(.ribbon:contains(Modèle)))",
                },
                screenshot(`template_added_${name.replace(/\W/g, "_")}`),
                {
                    content: "back to the list",
                    trigger: ".o_breadcrumb .breadcrumb-item a:contains(Workflows automatisés)",
                    run: "click",
                }
            );
        }
        steps.push({
            content: "three workflows in the list",
            trigger: ".o_list_view .o_data_row:nth-child(3)",
        });
        return steps;
    },
});

tours.add("responso_template_read_only", {
    steps: () => [
        ...openWorkflows,
        {
            content: "Templates",
            trigger: ".o_control_panel button:contains(Modèles)",
            run: "click",
        },
        {
            content: "open the Amazon template itself (not its Add button)",
            trigger: ".o_kanban_record:contains(Amazon) .fw-bold",
            run: "click",
        },
        {
            content: "a shared template: read-only for a manager who is not an administrator",
            trigger: ".o_form_view:has(.ribbon:contains(Modèle)) .o_field_widget[name=name].o_readonly_modifier",
        },
        {
            content: "no condition or action to add, change or remove",
            trigger: ".o_form_view:not(:has(.o_field_x2many_list_row_add)):not(:has(.o_list_record_remove))",
        },
        {
            content: "its Add button still makes an editable copy",
            trigger: ".o_form_view .o_form_statusbar button[name=action_add_from_template]",
        },
        screenshot("template_read_only"),
    ],
});

tours.add("responso_list_disable_enable_delete", {
    steps: () => [
        ...openWorkflows,
        {
            content: "the seed's “…” next to the name",
            trigger: ".o_data_row:contains(Week-end maison) .o_responso_row_menu_toggle",
            run: "click",
        },
        screenshot("list_row_menu"),
        {
            content: "Modifier",
            trigger: ".o_responso_row_edit:contains(Modifier)",
            run: "click",
        },
        {
            content: "the workflow's form",
            trigger: ".o_form_view .o_field_widget[name=name] input:value(Week-end maison)",
        },
        {
            content: "switch the blue slider off",
            trigger: ".o_form_view div[name=active] input:checked",
            run: "click",
        },
        {
            content: "the form says it is disabled (not “Archivé”)",
            trigger: ".o_form_view .ribbon:contains(Désactivé)",
        },
        {
            content: "the toggle saves at once: nothing left to save",
            trigger: ".o_form_view:not(:has(.o_form_button_save:visible)) .ribbon:contains(Désactivé)",
        },
        {
            content: "back to the list",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Workflows automatisés)",
            run: "click",
        },
        {
            content: "still listed, greyed, with its toggle off",
            trigger: ".o_data_row.text-muted:contains(Week-end maison) div[name=active] input:not(:checked)",
        },
        screenshot("list_disabled_greyed"),
        {
            content: "enable again from the list",
            trigger: ".o_data_row:contains(Week-end maison) div[name=active] input",
            run: "click",
        },
        {
            content: "enabled, not greyed",
            trigger: ".o_data_row:not(.text-muted):contains(Week-end maison) div[name=active] input:checked",
        },
        {
            content: "disable from the list too",
            trigger: ".o_data_row:contains(Hors horaires maison) div[name=active] input:checked",
            run: "click",
        },
        {
            content: "greyed, still listed",
            trigger: ".o_data_row.text-muted:contains(Hors horaires maison) div[name=active] input:not(:checked)",
        },
        {
            content: "the … menu again",
            trigger: ".o_data_row:contains(Week-end maison) .o_responso_row_menu_toggle",
            run: "click",
        },
        {
            content: "Supprimer",
            trigger: ".o_responso_row_delete:contains(Supprimer)",
            run: "click",
        },
        {
            content: "confirm",
            trigger: ".modal .modal-footer .btn-primary:contains(Supprimer)",
            run: "click",
        },
        {
            content: "gone from the list; the disabled one stays",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Week-end maison))) .o_data_row.text-muted:contains(Hors horaires maison)",
        },
    ],
});

tours.add("responso_amazon_delay", {
    steps: () => [
        ...openWorkflows,
        {
            content: "Ajouter un workflow",
            trigger: ".o_list_button_add:contains(Ajouter un workflow)",
            run: "click",
        },
        {
            content: "Nom",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Amazon fait maison",
        },
        {
            content: "Description",
            trigger: ".o_field_widget[name=description] textarea",
            run: "edit Répond aux clients Amazon",
        },
        {
            content: "Ajouter une action",
            trigger: "div[name=action_ids] .o_field_x2many_list_row_add a:contains(Ajouter une action)",
            run: "click",
        },
        {
            content: "focus the message",
            trigger: ".modal div[name=body_html] div.note-editable.odoo-editor-editable",
            run: "click",
        },
        {
            content: "Message",
            trigger: ".modal div[name=body_html] div.note-editable[spellcheck='true'].odoo-editor-editable",
            run: "editor Merci ! Nous vous répondons sous 24 heures.",
        },
        saveDialog,
        ...addCondition(),
        {
            content: "Source field",
            trigger: ".modal div[name=source_ids] input",
            run: "fill Amazon",
        },
        {
            content: "Amazon",
            trigger: ".o-autocomplete--dropdown-item a:contains(Amazon)",
            run: "click",
        },
        {
            content: "chosen",
            trigger: ".modal div[name=source_ids] .o_tag:contains(Amazon)",
        },
        saveDialog,
        {
            content: "the seed's ATTENTION, on the form, before it is saved",
            trigger: ".o_responso_amazon_warning:visible:contains(Amazon ignore une réponse automatique envoyée immédiatement)",
        },
        screenshot("amazon_warning", ".o_responso_amazon_warning"),
        {
            content: "one click adds the delay",
            trigger: ".o_responso_amazon_warning button[name=action_add_amazon_delay]:contains(Ajouter un délai de 10 minutes)",
            run: "click",
        },
        {
            content: "the delay condition is there, read in full",
            trigger: "div[name=condition_ids] .o_data_row:contains(Délai):contains(10 minutes après le message du client)",
        },
        {
            content: "and the warning is gone",
            trigger: ".o_form_sheet:not(:has(.o_responso_amazon_warning:visible))",
        },
        screenshot("amazon_delay_added", "div[name=condition_ids]"),
    ],
});
