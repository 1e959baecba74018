"""Renderers: query results to text and JSON, one module per output shape.

- :mod:`.terminal`: writing to the terminal (colour, ``echo``, one JSON document, diagnostics)
- :mod:`.json`: every JSON shape ``convo`` prints (the keys documented in ``docs/``)
- :mod:`.text`: every human-readable answer (agenda, threads, brief, referrals, a note, summaries)

Queries (:mod:`convo_notes.agenda`, :mod:`convo_notes.brief`, :mod:`convo_notes.referrals`)
hold the facts and never import a renderer.
"""
