from . import responso_account
