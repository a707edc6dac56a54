"""A planted pickle: reading it runs code (here, it creates a file), which no model file may do."""


class PlantedPickle:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")
