"""Marketplace rules: a polled marketplace message not written by the buyer (HARD).

The author fields and their values are in docs/marketplace-contract.md (source keys A1, A2, A5, E1).
Entry point: `marketplace_author_signal` (re-exported by loop_guard).
"""

from collections.abc import Mapping

from .loop_guard_signal import _hard, _short


def _same_login(login, account_login):
    if not login or not account_login:
        return False
    return str(login).strip().casefold() == str(account_login).strip().casefold()


def _allegro_public(author, account_login):
    # docs/marketplace-contract.md A1 MessageAuthor{login, isInterlocutor}: the interlocutor is the buyer.
    interlocutor = author.get("isInterlocutor")
    login = author.get("login")
    if not isinstance(interlocutor, bool):
        return _hard("Allegro: author unknown")
    if not interlocutor:
        return _hard("Allegro: author is not the interlocutor (%s)" % (login or "no login"))
    if _same_login(login, account_login):
        return _hard("Allegro: our own message (%s)" % login)
    return None


# docs/marketplace-contract.md A2 MessageAuthorVBeta1.role: BUYER, SELLER, USER, CONSULTANT, ALLEGRO.
_ALLEGRO_BETA_NOT_BUYER = frozenset({"SELLER", "ALLEGRO", "CONSULTANT"})


def _allegro_beta(author, account_login):
    role, login = author.get("role"), author.get("login")
    if not isinstance(role, str) or not role:
        return _hard("Allegro: author unknown")
    role = role.upper()
    if role in _ALLEGRO_BETA_NOT_BUYER:
        return _hard("Allegro: author role %s" % role)
    if _same_login(login, account_login):
        return _hard("Allegro: our own message (%s)" % login)
    if role == "BUYER":
        return None
    if role == "USER":
        # docs/marketplace-contract.md A2: in COMMON threads both participants are USER, so only the account's
        # own login tells us apart; without both logins the author cannot be attributed.
        if not login or not account_login:
            return _hard("Allegro: author unknown (USER without a login to compare)")
        return None
    return _hard("Allegro: author unknown (role %s)" % _short(role))


# docs/marketplace-contract.md A1 PostPurchaseIssueMessageAuthor.role: BUYER, SELLER, ADMIN, SYSTEM,
# FULFILLMENT. Allegro's assistant "Allina" writes as SYSTEM (A5 #12547).
_ALLEGRO_ISSUE_NOT_BUYER = frozenset({"SELLER", "ADMIN", "SYSTEM", "FULFILLMENT"})


def _allegro_discussions(author, account_login):
    role, login = author.get("role"), author.get("login")
    if not isinstance(role, str) or not role:
        return _hard("Allegro issue: author unknown")
    role = role.upper()
    if role in _ALLEGRO_ISSUE_NOT_BUYER:
        return _hard("Allegro issue: author role %s" % role)
    if _same_login(login, account_login):
        return _hard("Allegro issue: our own message (%s)" % login)
    if role == "BUYER":
        return None
    return _hard("Allegro issue: author unknown (role %s)" % _short(role))


def _ebay(author, account_login):
    # docs/marketplace-contract.md E1: conversation_type FROM_EBAY = system messages from eBay.
    kind, sender = author.get("conversation_type"), author.get("sender")
    if kind == "FROM_EBAY":
        return _hard("eBay: message from eBay (FROM_EBAY)")
    if kind != "FROM_MEMBERS":
        return _hard("eBay: author unknown")
    if _same_login(sender, account_login):
        return _hard("eBay: our own message (%s)" % sender)
    if not sender or not account_login:
        # a conversation holds our messages too: without both names we cannot tell them apart
        return _hard("eBay: author unknown (no sender or account login to compare)")
    return None


_MARKETPLACE_CHECKS = {
    "allegro_public_v1": ("Allegro", _allegro_public),
    "allegro_beta_v1": ("Allegro", _allegro_beta),
    "allegro_discussions": ("Allegro issue", _allegro_discussions),
    "ebay": ("eBay", _ebay),
}


def marketplace_author_signal(channel, author, *, account_login=None):
    """A HARD signal when a polled marketplace message was not written by the buyer, else None.

    `author` is the author object as the API returns it (a dict); what cannot be attributed is never
    answered. Raises ValueError for an unknown channel.
    """
    if channel not in _MARKETPLACE_CHECKS:
        raise ValueError("unknown marketplace channel %r (expected one of %s)"
                         % (channel, ", ".join(sorted(_MARKETPLACE_CHECKS))))
    label, check = _MARKETPLACE_CHECKS[channel]
    if not isinstance(author, Mapping):
        return _hard("%s: author unknown" % label)
    return check(author, account_login)
