"""The calls whose arguments are catalog messages, for extraction (pybabel -k) and the tests."""

# name -> 1-based positions of the message arguments, in Babel's keyword spec form.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "CongressError": (2,),
    "NotFound": (2,),
    "Forbidden": (2,),
    "Conflict": (2,),
    "ImportRefused": (2,),
    "UploadRefused": (2,),
    "ArchiveRefused": (2,),
    "DatabaseNotReady": (2,),
    "UnstorableText": (2,),
    "SettingsError": (2,),
    "RowProblem": (4,),
    "problem": (3,),
    "N_": None,
    "PhotoProblem": (2,),
    "_BadImage": (1,),
    "ImageFileError": (2,),
    "NavItem": (1,),
}


def babel_keywords() -> dict[str, object]:
    """The keyword map in the form babel.messages.extract expects."""
    from babel.messages.extract import DEFAULT_KEYWORDS

    out: dict[str, object] = dict(DEFAULT_KEYWORDS)
    for name, spec in KEYWORDS.items():
        out[name] = spec
    return out
