from lxml import etree

from odoo.tests import tagged

from .common import ResponsoCase


@tagged("post_install", "-at_install")
class TestViewsForUsers(ResponsoCase):
    """What the views offer each group: search filters that narrow a list when combined, and no button a user cannot
    run."""

    def _filter_groups(self, model, user):
        """The search view's filters as Odoo's search bar groups them: filters between two separators (or in one
        <group>) are alternatives, joined by OR; filters of different groups are joined by AND."""
        arch = self.env[model].with_user(user).get_views([(False, "search")])["views"]["search"]["arch"]
        groups, current = [], []
        for node in etree.fromstring(arch).iter("filter", "separator", "group", "field"):
            if node.tag == "filter" and node.get("name") and not (node.get("context") or "").count("group_by"):
                current.append(node.get("name"))
            elif current:
                groups.append(set(current))
                current = []
        return groups + ([set(current)] if current else [])

    def assertNarrows(self, groups, first, second):
        together = [group for group in groups if first in group and second in group]
        self.assertFalse(together, f"{first} and {second} would be joined by OR: {together}")
        self.assertTrue(any(first in group for group in groups) and any(second in group for group in groups))

    def test_conversation_filters_narrow_the_open_list(self):
        """The Conversations list opens on Open: Assigned to me, Held for a human, Returns, Tagged… must narrow it,
        not add every closed conversation that matches (they were all in Open's group)."""
        groups = self._filter_groups("responso.conversation", self.agent)
        for name in ("held", "returns", "tagged", "mine", "unassigned", "no_answer_needed", "responso_overdue",
                     "my_accounts"):
            self.assertNarrows(groups, "open", name)
        self.assertNarrows(groups, "mine", "tagged")
        self.assertNarrows(groups, "held", "returns")
        # alternatives stay alternatives
        self.assertTrue(any({"open", "closed"} <= group for group in groups))
        self.assertTrue(any({"mine", "unassigned"} <= group for group in groups))

    def test_statistics_period_narrows_the_last_30_days(self):
        groups = self._filter_groups("responso.statistics", self.manager)
        self.assertNarrows(groups, "last_30_days", "date")

    def test_agents_see_no_manager_button(self):
        """An agent reads accounts and workflows (links from conversations and replies) but cannot resume an
        account's replies or edit a workflow: those buttons are a manager's."""
        for model, button in (("responso.account", "action_resume_replies"),
                              ("responso.workflow", "action_add_amazon_delay")):
            for user, shown in ((self.agent, False), (self.manager, True)):
                arch = self.env[model].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
                self.assertEqual(f'name="{button}"' in arch, shown, f"{model} {button} for {user.login}")
