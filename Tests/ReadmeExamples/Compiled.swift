// The README's Swift examples are compiled into this target by the ReadmeExamples build plugin
// (Plugins/ReadmeExamplesPlugin); an example that stops compiling fails the build. This file only gives
// the target a source of its own: the examples themselves are generated from README.md.
