from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import ResponsoCase

ALLOWED, DENIED = True, False


class _Rollback(Exception):
    """Undoes an allowed write or unlink, so that each cell of the truth table starts from the same records."""


@tagged("post_install", "-at_install")
class TestWorkflowRecordRules(ResponsoCase):
    """Users × records truth table of workflows, their conditions and actions, as RPC calls would meet it
    (`with_user`, no sudo): a manager sees and changes their companies' workflows only, agents read them, portal
    users nothing, and the shared templates are read by all and changed by system administrators only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager_b = mail_new_test_user(
            cls.env, login="responso_manager_b", name="Bogdan Manager B", company_id=cls.company_2.id,
            company_ids=[Command.set(cls.company_2.ids)],
            groups="base.group_user,responso_autoresponder.group_responso_manager")
        cls.portal = mail_new_test_user(cls.env, login="responso_portal", name="Paula Portal",
                                        company_id=cls.company.id, groups="base.group_portal")
        cls.workflow_a = cls._workflow("Company A")
        cls.workflow_b = cls._workflow("Company B", company_id=cls.company_2.id)
        cls.template = cls.env.ref("responso_autoresponder.template_weekend")
        cls.users = {"manager A": cls.manager, "manager B": cls.manager_b, "agent A": cls.agent,
                     "portal": cls.portal, "administrator": cls.user_admin}

    def _records(self, workflow):
        return {"workflow": workflow, "condition": workflow.condition_ids[:1], "action": workflow.action_ids[:1]}

    def _try(self, user, record, operation):
        """Whether `user` may do `operation` on `record` over RPC (changes rolled back)."""
        record = record.with_user(user)
        values = {"workflow": {"description": "Rewritten by someone else"},
                  "condition": {"sequence": 99},
                  "action": {"body_html": "<p>Rewritten by someone else</p>"}}[self._kind(record)]
        try:
            with self.env.cr.savepoint():
                if operation == "read":
                    record.read(["sequence"])
                elif operation == "write":
                    record.write(values)
                    record.flush_recordset()
                else:
                    record.unlink()
                    self.env.flush_all()
                raise _Rollback
        except _Rollback:
            return ALLOWED
        except (AccessError, UserError):
            return DENIED
        finally:
            self.env.invalidate_all()

    @staticmethod
    def _kind(record):
        return {"responso.workflow": "workflow", "responso.workflow.condition": "condition",
                "responso.workflow.action": "action"}[record._name]

    def _check(self, table):
        problems = []
        for (user_name, records_name), expected in table.items():
            workflow = {"A": self.workflow_a, "B": self.workflow_b, "template": self.template}[records_name]
            for kind, record in self._records(workflow).items():
                self.assertTrue(record, "%s has a %s" % (records_name, kind))
                for operation, allowed in zip(("read", "write", "unlink"), expected, strict=True):
                    got = self._try(self.users[user_name], record, operation)
                    if got != allowed:
                        problems.append("%s %s %s of %s: %s, expected %s" % (
                            user_name, operation, kind, records_name, "allowed" if got else "denied",
                            "allowed" if allowed else "denied"))
        self.assertFalse(problems, "\n".join(problems))

    def test_truth_table(self):
        yes, no = ALLOWED, DENIED
        self._check({
            # (user, records):          read, write, unlink
            ("manager A", "A"): (yes, yes, yes),
            ("manager A", "B"): (no, no, no),
            ("manager A", "template"): (yes, no, no),
            ("manager B", "A"): (no, no, no),
            ("manager B", "B"): (yes, yes, yes),
            ("manager B", "template"): (yes, no, no),
            ("agent A", "A"): (yes, no, no),
            ("agent A", "B"): (no, no, no),
            ("agent A", "template"): (yes, no, no),
            ("portal", "A"): (no, no, no),
            ("portal", "B"): (no, no, no),
            ("portal", "template"): (no, no, no),
            ("administrator", "A"): (yes, yes, yes),
            ("administrator", "B"): (yes, yes, yes),
            ("administrator", "template"): (yes, yes, yes),
        })

    def test_no_line_into_another_company(self):
        """A manager of company B cannot add lines to company A's workflow, nor move A's lines to theirs."""
        Condition = self.env["responso.workflow.condition"].with_user(self.manager_b)
        with self.assertRaises(AccessError):
            Condition.create({"workflow_id": self.workflow_a.id, "kind": "trigger", "trigger": "each_message"})
        with self.assertRaises(AccessError):
            self.env["responso.workflow.action"].with_user(self.manager_b).create(
                {"workflow_id": self.workflow_a.id, "body_html": "<p>Hi from B</p>"})
        with self.assertRaises(AccessError):
            self.workflow_b.with_user(self.manager_b).write(
                {"condition_ids": [Command.link(self.workflow_a.condition_ids[:1].id)]})
        with self.assertRaises(AccessError):
            self.env["responso.workflow.action"].with_user(self.manager_b).create(
                {"workflow_id": self.template.id, "body_html": "<p>Added to the template</p>"})

    def test_no_new_shared_template(self):
        """A manager can neither create a template nor turn a workflow of theirs into one."""
        with self.assertRaises(AccessError):
            self.workflow_b.with_user(self.manager_b).write({"is_template": True, "company_id": False})
        with self.assertRaises(AccessError):
            self.env["responso.workflow"].with_user(self.manager_b).create({
                "name": "Fake template", "description": "x", "is_template": True, "company_id": False,
                "tz": "Europe/Warsaw"})
        # "Add" on a template still gives the manager an editable copy
        action = self.template.with_user(self.manager_b).action_add_from_template()
        copy = self.env["responso.workflow"].browse(action["res_id"])
        self.assertEqual(copy.company_id, self.company_2)
        copy.with_user(self.manager_b).write({"description": "Our weekend answer"})

    def test_no_workflow_or_line_moved_out_of_reach(self):
        """The rules check a record before a write, not what it becomes: a manager of company B cannot give their
        workflow to company A (it would answer A's buyers), nor move their own lines into A's workflow or a
        shared template."""
        with self.assertRaises(AccessError):
            self.workflow_b.with_user(self.manager_b).write({"company_id": self.company.id})
        with self.assertRaises(AccessError):
            self.env["responso.workflow"].with_user(self.manager_b).create(
                {"name": "Into A", "company_id": self.company.id, "tz": "Europe/Warsaw"})
        for line, target in ((self.workflow_b.action_ids[:1], self.workflow_a),
                             (self.workflow_b.condition_ids[:1], self.workflow_a),
                             (self.workflow_b.action_ids[:1], self.template)):
            with self.subTest(line=line._name, target=target.name), self.assertRaises(AccessError):
                line.with_user(self.manager_b).write({"workflow_id": target.id})
        self.assertEqual(self.workflow_a.action_ids.mapped("body_html"), self.workflow_a.sudo().action_ids.mapped(
            "body_html"))
        self.assertEqual(self.workflow_b.company_id, self.company_2)
        # within their companies, nothing changes: a manager of both moves a workflow between them
        self.manager.write({"company_ids": [Command.link(self.company_2.id)]})
        self.workflow_a.with_user(self.manager).write({"company_id": self.company_2.id})
        self.assertEqual(self.workflow_a.company_id, self.company_2)
