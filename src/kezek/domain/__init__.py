"""The pure domain core: rules and algorithms with no Django imports (cosmicpython's inner hexagon)."""
