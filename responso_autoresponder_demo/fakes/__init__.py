"""Fake Allegro and eBay marketplaces (plain Python, standard library only, 127.0.0.1 only).

They follow the documented contracts (docs/marketplace-contract.md) and serve two users: the connector tests
(plain pytest in tests/ and the Odoo suites) and the demo addon's "Demo" environment. They never ship in the
production addon, responso_autoresponder.
"""
