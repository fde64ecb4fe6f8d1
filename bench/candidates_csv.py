#!/usr/bin/env python3
"""A CSV of candidates to import: international names (diacritics in more than half, Greek and Cyrillic among them,
surnames varied with generated syllables so a million rows are not a few hundred names repeated) and one duplicate
email per thousand rows, each repeating the email of a row 500 lines earlier.

Usage: bench/candidates_csv.py ROWS OUT.csv [QUERIES.txt]

With QUERIES.txt, also writes typeahead queries taken from the names: for each of 1, 2, 3 and 5 letters, 200 lines
`LETTERS<TAB>QUERY`, three in four a prefix of a first or last name, one in four from inside a last name.
"""
import random
import sys

random.seed(7)
n = int(sys.argv[1])
out = sys.argv[2]
firsts = ["Aino", "Åsa", "Jörg", "Søren", "Eleni", "Mikko", "Anna", "Pierre", "Zoë", "Łukasz", "Ioannis", "Γιώργος",
          "Μαρία", "Björn", "Päivi", "Ásta", "Þóra", "José", "François", "Ängel", "Niamh", "Jürgen", "Šárka", "Dũng",
          "Ēriks", "Olof", "Emma", "Liam", "Hannah", "Ola", "Νίκος", "Ελένη", "Дмитрий", "Ольга", "Çağla", "Gülşen",
          "Mátyás", "Zsófia", "Agnieszka", "Małgorzata", "Jiří", "Tomáš", "Siân", "Ólafur", "Øyvind", "Väinö",
          "Ruža", "Ştefan", "Ana", "Nguyễn", "Ines", "Joël"]
lasts = ["Järvinen", "Öberg", "Müller", "Nørgaard", "Papadopoulou", "Virtanen", "Berg", "Dubois", "Ångström",
         "Wiśniewski", "Παπαδόπουλος", "Κωνσταντίνου", "Sigurðsson", "Hämäläinen", "Šimić", "García", "Ó Briain",
         "Lindqvist", "Smith", "Johansson", "Nieminen", "Kowalski", "Fernández", "Müller-Lüdenscheidt", "Østergård",
         "Ericsson", "Brown", "Jensen", "Rossi", "Bianchi", "Γεωργίου", "Οικονόμου", "Иванов", "Смирнова", "Yılmaz",
         "Öztürk", "Nagy", "Kovács", "Dvořák", "Novák", "Łęcki", "Żurawski", "Ionescu", "Popescu", "Trần", "Lê",
         "Gonçalves", "Muñoz", "Jääskeläinen", "Söderström", "D'Angelo", "O'Connor"]
latin_syllables = ["ka", "la", "ri", "no", "ve", "tu", "ma", "si", "jo", "ne", "hä", "rö", "lu", "mi", "sö", "vå",
                   "ły", "ší", "ñe", "çe", "đo", "ço", "be", "da", "ko", "ty"]
greek_syllables = ["πα", "κο", "λη", "νί", "μα", "ρο", "θε", "δη", "σω", "τα"]
cyrillic_syllables = ["ко", "ва", "ли", "ни", "ро", "ше", "да", "ми"]


def syllables_for(stem):
    if any("\u0370" <= ch <= "\u03ff" for ch in stem):
        return greek_syllables
    if any("\u0400" <= ch <= "\u04ff" for ch in stem):
        return cyrillic_syllables
    return latin_syllables


def surname():
    stem = random.choice(lasts)
    kind = random.randrange(3)
    if kind == 0:
        return stem
    extra = "".join(random.choice(syllables_for(stem)) for _ in range(1 + random.randrange(2)))
    if kind == 1:
        return extra.capitalize() + stem.lower()
    return stem + extra


dups = set(random.sample(range(1000, n), n // 1000)) if n > 1000 else set()
names = []
with open(out, "w", encoding="utf-8") as f:
    f.write("first_name,last_name,email\n")
    for i in range(n):
        j = i - 500 if i in dups else i
        first, last = random.choice(firsts), surname()
        if i % 97 == 0 and len(names) < 5000:
            names.append((first, last))
        f.write(f'{first},"{last}",person{j}@example.eu\n')
print(f"{n} rows, {len(dups)} repeating an earlier email", file=sys.stderr)

if len(sys.argv) > 3:
    with open(sys.argv[3], "w", encoding="utf-8") as q:
        for letters in (1, 2, 3, 5):
            for k in range(200):
                first, last = random.choice(names)
                if k % 4 == 3 and len(last) > letters + 1:
                    start = random.randrange(1, len(last) - letters)
                    query = last[start:start + letters]
                else:
                    query = (first if k % 2 else last)[:letters]
                q.write(f"{letters}\t{query}\n")
