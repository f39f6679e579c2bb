"""The endpoint catalogue: fal endpoint ids, their schemas, and their engine requests."""
