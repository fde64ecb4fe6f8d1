#!/usr/bin/env python3
"""A CSV of candidates to import: international names (diacritics in most, Greek among them) and one duplicate
email per thousand rows, each repeating the email of a row 500 lines earlier.

Usage: bench/candidates_csv.py ROWS OUT.csv
"""
import random
import sys

random.seed(7)
n = int(sys.argv[1])
out = sys.argv[2]
firsts = ["Aino", "Åsa", "Jörg", "Søren", "Eleni", "Mikko", "Anna", "Pierre", "Zoë", "Łukasz", "Ioannis", "Γιώργος",
          "Μαρία", "Björn", "Päivi", "Ásta", "Þóra", "José", "François", "Ängel", "Niamh", "Jürgen", "Šárka", "Dũng",
          "Ēriks", "Olof", "Emma", "Liam", "Hannah", "Ola"]
lasts = ["Järvinen", "Öberg", "Müller", "Nørgaard", "Papadopoulou", "Virtanen", "Berg", "Dubois", "Ångström",
         "Wiśniewski", "Παπαδόπουλος", "Κωνσταντίνου", "Sigurðsson", "Hämäläinen", "Šimić", "García", "Ó Briain",
         "Lindqvist", "Smith", "Johansson", "Nieminen", "Kowalski", "Fernández", "Müller-Lüdenscheidt", "Østergård",
         "Ericsson", "Brown", "Jensen", "Rossi", "Bianchi"]
dups = set(random.sample(range(1000, n), n // 1000))
with open(out, "w", encoding="utf-8") as f:
    f.write("first_name,last_name,email\n")
    for i in range(n):
        j = i - 500 if i in dups else i
        f.write(f"{random.choice(firsts)},{random.choice(lasts)},person{j}@example.eu\n")
print(f"{n} rows, {len(dups)} repeating an earlier email", file=sys.stderr)
