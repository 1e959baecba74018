"""Contacts: vCards as contacts apps write them, imported into a notebook that stays valid."""

from __future__ import annotations

import json

import pytest

from convo_notes.loader import load_notebook
from convo_notes.vcard import edit_note_text, fold_name, parse_vcards
from convo_notes.yamlwrite import yaml_scalar

# Apple Contacts (vCard 3.0): grouped properties, a folded NOTE, a base64 PHOTO, CRLF.
APPLE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.1//EN\r\nN:Müller;Zoë;;;\r\n"
    "FN:Zoë Müller\r\nORG:Acme Robotics GmbH;Engineering\r\nTITLE:CTO\r\n"
    "item1.EMAIL;type=INTERNET;type=pref:zoe.mueller@acme-robotics.example\r\n"
    "item1.X-ABLabel:_$!<Other>!$_\r\nTEL;type=CELL;type=VOICE;type=pref:+49 170 1234567\r\n"
    "NOTE:Met at the Hamburg logistics fair\\, hall B.\\nWants a pilot in Q1\\; budget\r\n  approved.\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGBw\r\n"
    " CgkJCQoKCgoKCgo=\r\nEND:VCARD\r\n"
)
# Google Contacts (vCard 3.0): someone already in the sample notebook, email in other case.
GOOGLE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Dana Reyes\r\nN:Reyes;Dana;;;\r\n"
    "EMAIL;TYPE=INTERNET;TYPE=WORK:DANA.REYES@harborlogistics.example\r\n"
    "TEL;TYPE=WORK:+1 555 014 7731\r\nTITLE:Procurement Director\r\nEND:VCARD\r\n"
)
# Nextcloud (vCard 4.0), LF line ends, a tel: URI, an org that exists under another slug.
NEXTCLOUD = (
    "BEGIN:VCARD\nVERSION:4.0\nUID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\nFN:Léa Dubois-Château\n"
    "N:Dubois-Château;Léa;;;\nEMAIL;TYPE=work:lea@example.fr\n"
    "TEL;VALUE=uri;TYPE=\"voice,cell\":tel:+33-6-12-34-56-78\nORG:Crumb & Co Bakeries\n"
    "TITLE:Head of Operations\nEND:VCARD\n"
)
# Outlook (vCard 2.1): quoted-printable UTF-8 with a soft line break, bare type parameters.
OUTLOOK = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=85berg;Bj=C3=B6rn\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Bj=C3=B6rn =C3=85berg\r\nTEL;WORK;VOICE:+46 8 123 456\r\n"
    "EMAIL;PREF;INTERNET:bjorn@example.se\r\n"
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Knows every freight forwarder in Gothenburg and is happy "
    "to intro=\r\n"
    "duce us. =E2=9C=93\r\nEND:VCARD\r\n"
)
NAMELESS = "BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:nobody@example.org\r\nEND:VCARD\r\n"
CARDS = APPLE + GOOGLE + NEXTCLOUD + OUTLOOK + NAMELESS



@pytest.fixture
def vcf(tmp_path):
    path = tmp_path / "contacts.vcf"
    path.write_bytes(CARDS.encode("utf-8"))
    return path


def test_parse_real_world_cards():
    cards = parse_vcards(CARDS.encode("utf-8"))
    assert [(c.version, c.name, c.emails, c.phones, c.org, c.title) for c in cards] == [
        ("3.0", "Zoë Müller", ["zoe.mueller@acme-robotics.example"], ["+49 170 1234567"], "Acme Robotics GmbH",
         "CTO"),
        ("3.0", "Dana Reyes", ["DANA.REYES@harborlogistics.example"], ["+1 555 014 7731"], "",
         "Procurement Director"),
        ("4.0", "Léa Dubois-Château", ["lea@example.fr"], ["+33-6-12-34-56-78"], "Crumb & Co Bakeries",
         "Head of Operations"),
        ("2.1", "Björn Åberg", ["bjorn@example.se"], ["+46 8 123 456"], "", ""),
        ("3.0", "", ["nobody@example.org"], [], "", ""),
    ]
    assert cards[0].note == "Met at the Hamburg logistics fair, hall B.\nWants a pilot in Q1; budget approved."
    assert cards[3].note == "Knows every freight forwarder in Gothenburg and is happy to introduce us. ✓"
    assert cards[4].line == 43


def test_name_from_n_when_there_is_no_fn():
    [card] = parse_vcards("BEGIN:VCARD\nVERSION:3.0\nN:Nakamura;Kim;;Dr.;\nEND:VCARD\n")
    assert card.name == "Kim Nakamura"


def test_latin1_file_and_bom():
    [card] = parse_vcards("BEGIN:VCARD\nVERSION:3.0\nFN:José García\nEND:VCARD\n".encode("cp1252"))
    assert card.name == "José García"
    [card] = parse_vcards("\ufeffBEGIN:VCARD\nVERSION:4.0\nFN:Ana\nEND:VCARD\n".encode("utf-8"))
    assert card.name == "Ana"


def test_import_creates_and_updates_and_the_notebook_still_validates(cli, notebook, vcf):
    dana_before = (notebook / "notes/people/dana-reyes.md").read_text(encoding="utf-8")
    result = cli("-C", str(notebook), "import", "vcard", str(vcf))
    assert result.code == 0, result.err
    assert result.out == (
        "create    notes/orgs/acme-robotics-gmbh.md  (Acme Robotics GmbH: new organization)\n"
        "create    notes/people/zoe-muller.md  (Zoë Müller: new person)\n"
        "update    notes/people/dana-reyes.md  (Dana Reyes: add phone +1 555 014 7731)\n"
        "create    notes/people/lea-dubois-chateau.md  (Léa Dubois-Château: new person)\n"
        "create    notes/people/bjorn-aberg.md  (Björn Åberg: new person)\n"
        f"skip      {vcf}:43  (card has no FN or N: no name to file it under)\n"
        "4 created, 1 updated, 0 unchanged, 1 skipped\n"
    )
    validated = cli("-C", str(notebook), "validate")
    assert validated.code == 0, validated.out
    # valid; the one warning is the lint for the org the card created (a vCard says nothing of what it does)
    assert validated.out.endswith(": 0 errors, 1 warning\n")
    assert "warning[org-without-what]" in validated.out
    assert (notebook / "notes/people/zoe-muller.md").read_text(encoding="utf-8") == (
        "---\nname: Zoë Müller\norg: acme-robotics-gmbh\nrole: CTO\nemail: zoe.mueller@acme-robotics.example\n"
        "phone: \"+49 170 1234567\"\n---\nMet at the Hamburg logistics fair, hall B.\n"
        "Wants a pilot in Q1; budget approved.\n"
    )
    assert (notebook / "notes/orgs/acme-robotics-gmbh.md").read_text(encoding="utf-8") == \
        "---\nname: Acme Robotics GmbH\n---\n"
    nb = load_notebook(notebook)
    assert nb.people["lea-dubois-chateau"].org == "crumb-and-co"
    # Dana: the phone is added; her hand-written role stays
    assert nb.people["dana-reyes"].phones == ("+1 555 014 7730", "+1 555 014 7731")
    assert nb.people["dana-reyes"].role == "Head of Procurement"
    dana_after = (notebook / "notes/people/dana-reyes.md").read_text(encoding="utf-8")
    assert dana_after == dana_before.replace('phone: "+1 555 014 7730"',
                                             'phone: ["+1 555 014 7730", "+1 555 014 7731"]')
    # a second import changes nothing
    again = cli("-C", str(notebook), "import", "vcard", str(vcf))
    assert again.out.endswith("0 created, 0 updated, 4 unchanged, 1 skipped\n")


def test_dry_run_writes_nothing_and_reports_the_same(cli, notebook, vcf):
    before = {p: p.read_bytes() for p in notebook.rglob("*") if p.is_file()}
    dry = cli("-C", str(notebook), "import", "vcard", str(vcf), "--dry-run", "--json")
    assert dry.code == 0
    doc = json.loads(dry.out)
    assert (doc["dry_run"], doc["created"], doc["updated"], doc["unchanged"], doc["skipped"]) == (True, 4, 1, 0, 1)
    assert doc["actions"][2] == {"action": "update", "kind": "person", "path": "notes/people/dana-reyes.md",
                                 "slug": "dana-reyes", "name": "Dana Reyes",
                                 "changes": ["add phone +1 555 014 7731"]}
    assert {p: p.read_bytes() for p in notebook.rglob("*") if p.is_file()} == before
    text = cli("-C", str(notebook), "import", "vcard", str(vcf), "--dry-run").out
    assert text.endswith("4 created, 1 updated, 0 unchanged, 1 skipped (dry run: nothing written)\n")


def test_overwrite_replaces_fields_that_differ(cli, notebook, vcf):
    result = cli("-C", str(notebook), "import", "vcard", str(vcf), "--overwrite")
    assert "update    notes/people/dana-reyes.md  (Dana Reyes: role Procurement Director; " \
           "email -> DANA.REYES@harborlogistics.example; phone -> +1 555 014 7731)\n" in result.out
    nb = load_notebook(notebook)
    assert nb.people["dana-reyes"].role == "Procurement Director"
    assert nb.people["dana-reyes"].emails == ("DANA.REYES@harborlogistics.example",)
    assert cli("-C", str(notebook), "validate").code == 0


def test_match_by_name_ignores_case_and_accents(cli, make_notebook, tmp_path):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/jose-garcia.md": "---\n# a comment to keep\nname: Jose Garcia\nrole: Plumber\n---\nGood.\n",
    })
    vcf = tmp_path / "one.vcf"
    vcf.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:JOSÉ GARCÍA\nTITLE:Electrician\nEMAIL:jose@example.es\n"
                   "NOTE:ignored: the body is not empty\nEND:VCARD\n", encoding="utf-8")
    result = cli("-C", str(root), "import", "vcard", str(vcf))
    assert result.out.startswith("update    notes/people/jose-garcia.md  (Jose Garcia: add email jose@example.es)\n")
    assert (root / "notes/people/jose-garcia.md").read_text(encoding="utf-8") == (
        "---\n# a comment to keep\nname: Jose Garcia\nrole: Plumber\nemail: jose@example.es\n---\nGood.\n")


def test_slugs_are_unique(cli, make_notebook, tmp_path):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/orgs/acme.md": "---\nname: Acme Holdings\n---\n",
    })
    vcf = tmp_path / "two.vcf"
    vcf.write_text("BEGIN:VCARD\nVERSION:4.0\nFN:Acme\nEMAIL:a@acme.example\nEND:VCARD\n"
                   "BEGIN:VCARD\nVERSION:4.0\nFN:Me\nEND:VCARD\n", encoding="utf-8")
    result = cli("-C", str(root), "import", "vcard", str(vcf))
    assert result.out.splitlines()[:2] == ["create    notes/people/acme-2.md  (Acme: new person)",
                                           "create    notes/people/me-person.md  (Me: new person)"]
    assert cli("-C", str(root), "validate").code == 0


def test_crlf_and_bom_are_kept_when_a_note_is_edited():
    raw = "\ufeff---\r\nname: Kim\r\nemail: kim@a.example\r\ntags: [x]\r\n---\r\nBody\r\n".encode("utf-8")
    out = edit_note_text(raw, "notes/people/kim.md", {"email": ["kim@a.example", "kim@b.example"],
                                                      "role": "Director"})
    assert out == ("\ufeff---\r\nname: Kim\r\nemail: [kim@a.example, kim@b.example]\r\ntags: [x]\r\n"
                   "role: Director\r\n---\r\nBody\r\n").encode("utf-8")


def test_block_list_field_is_replaced_whole():
    raw = b"---\nname: Kim\nphone:\n  - '1'\n  - '2'\n\n# keep me\norg: acme\n---\n"
    out = edit_note_text(raw, "notes/people/kim.md", {"phone": ["+1", "+2"]})
    assert out == b'---\nname: Kim\nphone: ["+1", "+2"]\n\n# keep me\norg: acme\n---\n'


def test_no_cards_is_an_error(cli, notebook, tmp_path):
    empty = tmp_path / "empty.vcf"
    empty.write_text("not a vcard\n", encoding="utf-8")
    result = cli("-C", str(notebook), "import", "vcard", str(empty))
    assert result.code == 1
    assert result.err == f"convo: {empty}: no vCard found (no BEGIN:VCARD ... END:VCARD)\n"
    missing = cli("-C", str(notebook), "import", "vcard", str(tmp_path / "nope.vcf"))
    assert missing.code == 2


def test_export_vcard_4_and_round_trip(cli, notebook, make_notebook, tmp_path):
    out = cli("-C", str(notebook), "export", "vcard", "dana-reyes")
    assert out.code == 0
    assert out.out.replace("\r\n ", "").split("\r\n") == [
        "BEGIN:VCARD", "VERSION:4.0", "UID:urn:uuid:61ec9e1c-fd05-5a62-a4d1-149cbcf05c6f", "FN:Dana Reyes",
        "N:Reyes;Dana;;;", "EMAIL:dana.reyes@harborlogistics.example",
        "EMAIL:dreyes.procurement@harborlogistics.example", "TEL:+1 555 014 7730", "ORG:Harbor Logistics",
        "TITLE:Head of Procurement", "CATEGORIES:client,decision-maker",
        "NOTE:Owns the renewal decision at [[harbor-logistics]]. Prefers short written\\nsummaries before any call.",
        "END:VCARD", ""]
    target = tmp_path / "all.vcf"
    result = cli("-C", str(notebook), "export", "vcard", "-o", str(target))
    assert result.out == f"wrote 18 cards to {target}\n"
    text = target.read_text(encoding="utf-8")
    assert "Vesna" not in text
    fresh = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"}, root=tmp_path / "fresh")
    imported = cli("-C", str(fresh), "import", "vcard", str(target))
    assert imported.code == 0, imported.err
    nb, original = load_notebook(fresh), load_notebook(notebook)
    for slug, person in original.people.items():
        if original.is_private(person):
            continue
        twin = nb.people[slug]
        assert (twin.name, twin.emails, twin.phones, twin.role) == \
            (person.name, person.emails, person.phones, person.role), slug
    assert cli("-C", str(fresh), "validate").code == 0
    assert "Vesna Marlowe" in cli("-C", str(notebook), "export", "vcard", "--include-private").out.replace("\r\n ", "")


def test_export_vcard_unknown_slug(cli, notebook):
    # slugs go through the one name resolver: any case or spacing, a name or an alias
    assert cli("-C", str(notebook), "export", "vcard", "DANA REYES").out.count("BEGIN:VCARD") == 1
    result = cli("-C", str(notebook), "export", "vcard", "nobody")
    assert (result.code, result.err) == (2, "convo: no person `nobody` in notes/people/\n")


def test_helpers():
    assert fold_name("  José   GARCÍA ") == "jose garcia"
    assert yaml_scalar("Zoë Müller") == "Zoë Müller"
    assert yaml_scalar("+1 555") == '"+1 555"'
    assert yaml_scalar("yes") == '"yes"'
    assert yaml_scalar("Smith, John") == '"Smith, John"'
    assert yaml_scalar("a: b") == '"a: b"'
