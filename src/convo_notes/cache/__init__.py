"""The caches, all in the user's cache directory and never in the notebook (a pickle that came
with a cloned repository could run code when loaded; one we wrote ourselves cannot):

- :mod:`.records`: every note's checked record, keyed by its file's size, mtime, ctime and
  inode, in chunks with checksums, and an append log of the entries read since (compacted
  now and then); the code stamp is a digest of every module of the package.
- :mod:`.views`: derived views of an unchanged notebook for the warm daily commands (the
  agenda's entries, the conversations a brief needs, the threads, the conversations with
  referrals), keyed by a digest of every file key (the personal overlay's too) and the
  configuration.

The search index (:mod:`convo_notes.search`) lives beside them.
"""
