"""``python -m autograder.demo``: (re)write the demo class (:mod:`autograder.demo.build`)."""
from .build import main

main()
