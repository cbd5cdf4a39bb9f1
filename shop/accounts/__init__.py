"""Shopper accounts: sign-in with e-mail and password, sign-out, password reset by mail, and the
confirmation that ties a new account to the guest history of its e-mail address.

Shop-level because an account is a ``Customer`` with a Django user (``shop.models``); the cart
and the checkout above listen to ``user_logged_in`` (the cart merges) or call
``services.open_account`` (an account after an order), never the other way round.

No takeover by e-mail: an account opened with only a password is not tied to the guest
customer of its address (orders, carts, consent) until the owner of the mailbox proves it:
following the signed, expiring confirmation link and signing in there, or resetting the
password by mail.
"""
