"""Grading past one machine: a class cut into shards, graded apart, merged as one run.

The steps, in order:

1. :mod:`~autograder.sharding.shards`  ``grade --shard K/N``: each machine grades a block of
                                       the students and writes ``shard.json`` (with the
                                       fingerprint of the course's checkout);
2. :mod:`~autograder.sharding.merge`   ``python -m autograder merge``: the shards checked to
                                       belong together, then written as one run would be.
"""
