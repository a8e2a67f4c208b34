"""The names of the files in a run folder.

Kept apart from netlab.training.runs so that code which only opens a run's
model (predict, the window's classifier) needs nothing from the training
package, and training's evaluate can use predict without an import circle.
"""

MODEL_FILE = "model.keras"
BEST_FILE = "best.keras"
CLASSES_FILE = "classes.json"
CHECKPOINT_FILE = "checkpoint.json"
TENSORBOARD_DIR = "tensorboard"
