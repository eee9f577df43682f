"""The model tooling's tests, unittest modules: bash tools/model/test.sh (npm run test:model) runs them all."""
