"""``convo lsp``: a Language Server Protocol server for notebooks, on pygls.

- :mod:`.live`: the notebook kept in memory, open buffers substituted for their files,
  read by the same loader and checked by the same checks as ``convo validate``;
- :mod:`.text`: positions and what stands at the cursor (which field, which slug);
- :mod:`.features`: diagnostics, completion, hover, definition, references, code
  actions and rename, as plain functions of the notebook and a buffer;
- :mod:`.server`: the pygls server wiring them to the protocol, logging to stderr only.
"""
