"""The kit: widgets and helpers every tab may use. The kit imports no tab, and no tab imports
another, so a tab's package is read on its own (docs/development.md, Layers)."""
