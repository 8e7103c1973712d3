"""What a repository holds, as comparable values: models and pixel hashes."""

from __future__ import annotations

from labelcollections.repository import Repository
from labelcollections.storage.hashing import content_hash


def snapshot(repo: Repository) -> dict[str, object]:
    """Models and pixel hashes of everything, with the repository-local paths left out."""
    images = {image.id: image for image in repo.images()}
    labels = {label.id: label for label in repo.label_images()}
    return {
        "images": images,
        "labels": labels,
        "collections": {c.id: c for c in repo.collections()},
        "image pixels": {i: content_hash(repo.image_levels(img)[0]) for i, img in images.items()},
        "label pixels": {
            i: [content_hash(level) for level in repo.label_levels(label)]
            for i, label in labels.items()
        },
    }
