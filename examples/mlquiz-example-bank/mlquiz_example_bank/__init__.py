"""An example mlquiz bank package: the ``probability`` bank and the ``coin-flips`` demo.

Keep this file empty of imports: mlquiz imports this package (not its demo) to find the bank
folder and the demo's source, and listing banks or demos must stay fast and never import numpy.
"""
