"""The coach: goals' progress, the rules run over wins and the clock, the words of what they tell,
and the one scan pipeline; replay and stats.
"""
