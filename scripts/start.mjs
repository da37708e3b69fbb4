// `npm start`: the server ("clusnotify serve") arrives with the network-server issue. Until
// then this says so and exits 0, so the README's first command stays true.
console.log(
  'clusnotify: the network server is not built yet (the engine is: see README "Using the engine").',
);
console.log(
  'clusnotify: run `npm test` for the test suite or `npm run bench` for the engine benchmark.',
);
