"""Demo data: markets, catalog and customers that ``manage.py load_demo`` loads.

The data lives in plain modules (``markets``, ``attributes``, ``products``, ``customers``) so that
it reads like a catalogue; ``load`` writes it idempotently, keyed on natural keys.
"""
