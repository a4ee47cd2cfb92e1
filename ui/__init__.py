"""The interfaces a person uses, on top of `qa/`: the web chat (`app`, the one gradio importer),
what it needs without gradio (`desk`, `render`), and the `newsdesk` command line (`cli`)."""
