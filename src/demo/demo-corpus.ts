import type { DocumentInput } from '../documents/document.js';

type Entry = [externalId: string, topic: string, content: string];

const ENTRIES: Entry[] = [
  ['photosynthesis', 'science', 'Plants turn sunlight, water and carbon dioxide into sugar and oxygen through photosynthesis.'],
  ['mitochondria', 'science', 'Mitochondria produce most of the chemical energy a cell needs to power its reactions.'],
  ['black-holes', 'science', 'A black hole is a region of spacetime where gravity is so strong that not even light escapes.'],
  ['mars-rover', 'science', 'The rover drilled into Martian rock to look for chemical traces of ancient microbial life.'],
  ['vaccines', 'health', 'Vaccines train the immune system to recognise a pathogen without causing the disease.'],
  ['sleep', 'health', 'Adults who sleep less than six hours a night show poorer memory and attention.'],
  ['running', 'health', 'Regular running strengthens the heart and lowers resting blood pressure.'],
  ['mediterranean-diet', 'health', 'A Mediterranean diet rich in olive oil, fish and vegetables is linked to longer life.'],
  ['sourdough', 'cooking', 'Sourdough bread rises thanks to wild yeast and lactic acid bacteria in the starter.'],
  ['risotto', 'cooking', 'Stir risotto slowly, adding warm stock a ladle at a time until the rice is creamy.'],
  ['espresso', 'cooking', 'Espresso is brewed by forcing hot water through finely ground, tightly packed coffee.'],
  ['kimchi', 'cooking', 'Kimchi is fermented napa cabbage seasoned with chili, garlic, ginger and fish sauce.'],
  ['postgres-mvcc', 'technology', 'PostgreSQL uses multiversion concurrency control so readers never block writers.'],
  ['hnsw', 'technology', 'HNSW builds a layered proximity graph to find approximate nearest neighbours quickly.'],
  ['graphql', 'technology', 'GraphQL lets clients ask for exactly the fields they need in a single request.'],
  ['tls', 'technology', 'TLS encrypts traffic between a browser and a server and proves the server identity.'],
  ['roman-empire', 'history', 'The Western Roman Empire fell in 476 when Odoacer deposed the emperor Romulus Augustulus.'],
  ['printing-press', 'history', 'Gutenberg\'s printing press made books cheap and spread literacy across Europe.'],
  ['moon-landing', 'history', 'In July 1969 Apollo 11 landed on the Moon and Neil Armstrong walked on its surface.'],
  ['silk-road', 'history', 'The Silk Road carried silk, spices and ideas between China and the Mediterranean.'],
  ['narwhal', 'animals', 'The narwhal is an Arctic whale whose males grow a long spiral tusk from a canine tooth.'],
  ['octopus', 'animals', 'An octopus can change the colour and texture of its skin to hide from predators.'],
  ['honeybees', 'animals', 'Honeybees tell their hive-mates where flowers are with a waggle dance.'],
  ['emperor-penguin', 'animals', 'Emperor penguins huddle together through the Antarctic winter to keep their eggs warm.'],
];

/** A small corpus across a few topics, so the first search in GraphiQL returns something sensible. */
export const DEMO_DOCUMENTS: DocumentInput[] = ENTRIES.map(([externalId, topic, content]) => ({
  externalId,
  content,
  metadata: { topic },
}));
