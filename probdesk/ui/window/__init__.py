"""The main window's parts (mixins of MainWindow over state.WindowState: views, inspections,
data_care) and its own dialogs (File menu: new inspection, snapshots, purge). With
main_window.py they are the wiring that puts the tabs together; the dialogs import no tab."""
