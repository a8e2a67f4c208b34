"""What an evaluation shows beyond accuracy: per-class precision, recall and F1,
and the samples the model got wrong most confidently.

Plain numpy on a confusion matrix (rows: true class, columns: predicted) and on
batches of softmax outputs, so the CLI's JSON and the window's Evaluate tab
read the same numbers.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np


def per_class_metrics(confusion, class_names, other=None) -> list[dict]:
    """Precision, recall, F1 and support of each class of a confusion matrix.

    ``other[i]``: images of class i predicted as a class outside the matrix (a
    model class the dataset lacks); they count against recall. A class never
    predicted has precision None, a class without images recall None (0/0 is
    not a number to plot).
    """
    confusion = np.asarray(confusion, dtype=np.int64)
    other = np.zeros(len(confusion), np.int64) if other is None else np.asarray(other)
    correct = np.diag(confusion)
    predicted = confusion.sum(axis=0)
    support = confusion.sum(axis=1) + other
    rows = []
    for i, name in enumerate(class_names):
        precision = float(correct[i] / predicted[i]) if predicted[i] else None
        recall = float(correct[i] / support[i]) if support[i] else None
        if precision is None or recall is None:
            f1 = None
        else:
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"class": name, "precision": precision, "recall": recall, "f1": f1,
                     "support": int(support[i])})
    return rows


@dataclass(frozen=True)
class Mistake:
    """One misclassified sample: its position in the evaluated split, and what the model said."""

    index: int
    true_index: int  # model output indices
    predicted_index: int
    confidence: float  # the probability of the predicted class

    def to_dict(self, output_names) -> dict:
        return {"index": self.index, "true": output_names[self.true_index],
                "predicted": output_names[self.predicted_index], "confidence": self.confidence}


class MistakeCollector:
    """The ``limit`` most confident mistakes over a stream of batches (a heap: memory
    stays bounded however large the split); with ``keep_images``, their images too."""

    def __init__(self, limit: int, keep_images: bool = False):
        self.limit, self.keep_images = max(0, int(limit)), keep_images
        self._heap: list = []  # (confidence, -index, Mistake, image), smallest confidence first
        self.seen = 0

    def add(self, probabilities: np.ndarray, labels: np.ndarray, images=None) -> None:
        """One batch: softmax rows and the true output index of each."""
        start, self.seen = self.seen, self.seen + len(labels)
        if not self.limit or not len(labels):
            return
        predicted = probabilities.argmax(axis=1)
        confidence = probabilities[np.arange(len(labels)), predicted]
        for i in np.flatnonzero(predicted != labels):
            key = (float(confidence[i]), -(start + int(i)))
            if len(self._heap) == self.limit and key <= self._heap[0][:2]:
                continue
            image = None
            if self.keep_images and images is not None:
                image = np.clip(np.asarray(images[i]), 0, 255).astype(np.uint8)
            item = (*key, Mistake(start + int(i), int(labels[i]), int(predicted[i]), key[0]), image)
            if len(self._heap) < self.limit:
                heapq.heappush(self._heap, item)
            else:
                heapq.heapreplace(self._heap, item)

    def mistakes(self) -> list[tuple[Mistake, np.ndarray | None]]:
        """Most confident first (ties: the earlier sample first)."""
        return [(m, image) for *_, m, image in sorted(self._heap, key=lambda t: t[:2], reverse=True)]
