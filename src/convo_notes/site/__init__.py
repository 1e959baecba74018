"""The team site: a notebook's public notes as a MkDocs (Material) site.

The flow, one module per step:

1. ``public``  the public view: only notes ``Notebook.is_private`` calls public,
               references to left-out notes replaced by ``someone (private)``
2. ``model``   the queries the pages show (agenda, referrals), indexed once
3. ``pages``   pages from jinja2 templates (``convo_notes/site_templates``,
               overridable from the notebook's ``site_templates/``): titles and
               bodies in Markdown, generated facts and tables in HTML; ``inert``
               escapes every value and rewrites note bodies' links
4. ``build``   the staging tree (written incrementally); ``mkdocs_run`` the MkDocs
               build through its API, pages from memory, with the ``mdext``
               Markdown extension that keeps bodies inert, decides their links
               (``bodylinks``) and passes the generated HTML through;
               ``parallel`` renders pages in several processes; ``gate`` scans
               every output file for left-out notes before the site is swapped
               into place
5. ``serve``   ``convo site serve``: HTTP server, watchdog, and ``incremental``:
               which pages a change can touch
"""
