console.log('charlearn: not yet');
