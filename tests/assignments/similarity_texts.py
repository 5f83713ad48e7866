"""Essays for the similarity tests: written for them, on two topics, so that unrelated texts share only what
any two texts share."""

from __future__ import annotations

INSTRUCTIONS = (
    "Write about the causes of the French Revolution. Explain in your own words why the people of Paris "
    "stormed the Bastille in July 1789, and say which cause you think mattered most."
)

ESSAY = (
    "By the spring of 1789 France was close to bankruptcy. The wars of Louis XV and the support given to "
    "the American colonies had left a debt that the crown could no longer pay, and the nobles refused every "
    "new tax. Meanwhile two bad harvests had doubled the price of bread, so that a labourer in Paris spent "
    "most of his wages on it.\n\n"
    "When the king called the Estates-General to Versailles, the deputies of the Third Estate declared "
    "themselves a National Assembly and swore not to part until France had a constitution. Rumours that "
    "royal troops were gathering around the capital spread through the markets, and on the fourteenth of "
    "July a crowd looking for gunpowder attacked the old fortress.\n\n"
    "In my opinion hunger mattered most, because ideas alone rarely bring ordinary families into the street."
)

OTHER_ESSAY = (
    "Historians still argue about the beginning of the revolution. Some point to the philosophers, Voltaire "
    "and Rousseau, whose books taught readers to question the privileges of the church and the aristocracy. "
    "Others look at the money: a state that borrows for every war must one day ask someone to pay.\n\n"
    "I think the most important cause was the example of America. Soldiers such as Lafayette came home "
    "having fought for liberty, and they asked why the French could not govern themselves too. The storming "
    "of the prison was a symbol more than a military victory, since only seven prisoners were inside."
)

SCIENCE_ESSAY = (
    "Photosynthesis happens in the chloroplasts of green plants. Light energy is captured by chlorophyll and "
    "used to split water molecules, which releases oxygen into the air. The energy is then stored in "
    "glucose, built from carbon dioxide taken in through small pores on the underside of the leaves. "
    "Without this process there would be almost no oxygen in the atmosphere and no food for animals, "
    "which is why forests and ocean algae matter so much to every living thing on the planet."
)

# ESSAY copied with edits: a word changed here and there, a sentence added, the last paragraph rewritten.
EDITED_COPY = (
    "By the spring of 1789 France was near bankruptcy. The wars of Louis XV and the support given to the "
    "American colonies had left a huge debt that the crown could no longer pay, and the nobles refused every "
    "new tax. Meanwhile two bad harvests had doubled the price of bread, so that a worker in Paris spent "
    "most of his wages on it.\n\n"
    "When the king called the Estates-General to Versailles, the deputies of the Third Estate declared "
    "themselves a National Assembly and swore not to part until France had a constitution. This is called "
    "the Tennis Court Oath. Rumours that royal troops were gathering around the capital spread through the "
    "markets, and on the fourteenth of July a crowd looking for gunpowder attacked the old fortress.\n\n"
    "For me the debt was the real cause, since without it the king would never have called anybody."
)

# A passage of ESSAY (its second paragraph) inside an essay of its own.
PASSAGE = (
    "the deputies of the Third Estate declared themselves a National Assembly and swore not to part until "
    "France had a constitution"
)
BORROWED = OTHER_ESSAY + "\n\nWhen the king called the Estates-General to Versailles, " + PASSAGE + "."
