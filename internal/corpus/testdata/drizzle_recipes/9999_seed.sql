INSERT INTO recipes (id, title, servings, vegetarian, rating, ingredients) VALUES (1, 'Dal', 4, 1, 4.5, '["lentils","onion","cumin"]'), (2, 'Roast chicken', 6, 0, NULL, '["chicken","lemon"]');
INSERT INTO steps VALUES (1, 1, 'Rinse the lentils', 2), (1, 2, 'Simmer', 25), (2, 1, 'Preheat the oven', NULL);
INSERT INTO recipe_tags VALUES (1, 'vegan'), (1, 'quick'), (2, 'sunday');
