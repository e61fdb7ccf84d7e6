"""The bottom of the house: settings and the one plugin mechanism every registry uses.

Nothing here imports another jixiao package; every package may import this one.
"""
