"""The main window's own dialogs (File menu): new inspection, snapshots, purge. The window
puts the tabs together; these import no tab."""
