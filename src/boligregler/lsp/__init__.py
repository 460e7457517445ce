"""The `.pol` language server (`boligregler lsp`): diagnostics, navigation, completion and formatting."""
