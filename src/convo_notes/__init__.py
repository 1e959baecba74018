"""convo-notes: a plain-text conversation manager.

The data flows one way, and each step is one module:

1. files      ``loader.scan_note_files``: every ``.md`` under ``notes/``
2. parse      ``parse.read_note``: bytes -> front matter split -> safe YAML (``yamlsafe``), with positions
3. validate   ``schema.coerce`` (one declaration of the format, and of ``convo.yml``) and ``checks`` (across notes)
4. model      ``model``: immutable records carrying their file, line and column
5. queries    ``agenda`` (due, threads), ``brief``, ``referrals``; ``names`` and ``humandates`` read what users type
6. renderers  ``render`` (terminal text and JSON), ``site`` (MkDocs pages), ``ics``, ``vcard``, ``export``

``loader.load_notebook`` runs steps 1-4 (through the caches) and is the only way
anything reads notes, so validity and privacy are decided in one place. The
command line (``cli/``) is a thin shell: load, query, render; every failure is a
``errors.ConvoError`` carrying its exit code, mapped once in ``cli.main``.
"""

__version__ = "0.1.0"
